"""Notices of MTAs and mail systems written the way their own source code or templates write them.

Each row is one notice built from the system's published text (source file, template or manual
named in the row's comment), with synthetic addresses: the recipients it must name, each with the
reason and kind the text calls for. Recall must be exact: never the sender, the postmaster, nor an
address of the returned original (``_plain`` with a separator and ``_mixed`` return it whole, with a
Cc and a body naming other addresses; ``_report`` returns its headers).

Systems: qmail (netqmail/notqmail qmail-send, qmail-local, qmail-remote) with vpopmail, qmail-ldap
and chkuser; Exim's router, appendfile, lmtp and delay texts; Postfix local(8)/virtual(8)/lmtp(8)
with Dovecot, Cyrus and Zimbra behind it; Dovecot's rejection MDN; Haraka; hMailServer; Courier;
Apache James; masqmail; OpenSMTPD; Sendmail without a MIME report; Exchange 5.5, 2003 and 2010
(English and localised); the Windows SMTP service; Sun/Oracle Messaging Server; XMail; MDaemon;
CommuniGate Pro; SmarterMail; Coremail's replies behind Exim.
"""
from __future__ import annotations

import pytest

from bounced.model import Kind
from bounced.parse import parse_message

H, S, D = Kind.HARD, Kind.SOFT, Kind.DELAY
SENDER = "news@sender.example.org"
# the returned original: its To names the failed recipients, its Cc and body name others
_ORIGINAL = (
    "Return-Path: <" + SENDER + ">\n"
    "From: Newsletter <" + SENDER + ">\n"
    "To: {to}\n"
    "Cc: colleague@example.org\n"
    "Subject: Monthly news\n"
    "Message-ID: <orig-1@sender.example.org>\n"
    "Date: Mon, 3 Mar 2025 09:00:00 +0000\n"
    "\n"
    "Questions? Write to helpdesk@sender.example.org.\n"
)


def _plain(sender: str, subject: str, body: str, to: str, *, separator: str | None = None) -> bytes:
    """A one-part notice: the system's text, then (after ``separator``) the returned original."""
    head = (f"From: {sender}\nTo: {SENDER}\nSubject: {subject}\n"
            "Date: Mon, 3 Mar 2025 10:00:00 +0000\nMessage-ID: <notice-1@mx.example.net>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n")
    tail = "" if separator is None else f"\n{separator}\n\n" + _ORIGINAL.format(to=to)
    return (head + body + tail).encode()


def _report(sender: str, subject: str, text: str, fields: str, to: str, *,
            report_type: str = "delivery-status") -> bytes:
    """An RFC 3462 multipart/report: the human text, the machine part, the returned headers."""
    kind = "message/disposition-notification" if report_type == "disposition-notification" else "message/delivery-status"
    return (f"From: {sender}\nTo: {SENDER}\nSubject: {subject}\n"
            "Date: Mon, 3 Mar 2025 10:00:00 +0000\nMessage-ID: <notice-2@mx.example.net>\n"
            f"MIME-Version: 1.0\nContent-Type: multipart/report; report-type={report_type}; boundary=\"B1\"\n\n"
            "--B1\nContent-Type: text/plain; charset=us-ascii\n\n" + text + "\n"
            f"--B1\nContent-Type: {kind}\n\n" + fields + "\n"
            "--B1\nContent-Type: text/rfc822-headers\n\n" + _ORIGINAL.format(to=to).split("\n\n")[0] + "\n\n"
            "--B1--\n").encode()


def _mixed(sender: str, subject: str, text: str, to: str) -> bytes:
    """A multipart/mixed notice: the system's text part, then the original as message/rfc822."""
    return (f"From: {sender}\nTo: {SENDER}\nSubject: {subject}\n"
            "Date: Mon, 3 Mar 2025 10:00:00 +0000\nMessage-ID: <notice-3@mx.example.net>\n"
            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B2\"\n\n"
            "This is a MIME-encapsulated message.\n\n"
            "--B2\nContent-Description: Notification\nContent-Type: text/plain\n\n" + text + "\n"
            "--B2\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\n"
            + _ORIGINAL.format(to=to) + "\n--B2--\n").encode()


_QMAIL_HEAD = ("Hi. This is the qmail-send program at mx.example.net.\n"
               "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
               "This is a permanent error; I've given up. Sorry it didn't work out.\n\n")
_QMAIL_SEP = "--- Below this line is a copy of the message."
_EXIM_HEAD = ("This message was created automatically by mail delivery software.\n\n"
              "A message that you sent could not be delivered to one or more of its\n"
              "recipients. This is a permanent error. The following address(es) failed:\n\n")
_EXIM_SEP = "------ This is a copy of the message, including all the headers. ------"


def _qmail(blocks: str, to: str) -> bytes:
    return _plain("MAILER-DAEMON@mx.example.net", "failure notice", _QMAIL_HEAD + blocks, to, separator=_QMAIL_SEP)


def _exim(blocks: str, to: str) -> bytes:
    return _plain("Mail Delivery System <Mailer-Daemon@mx.example.net>", "Mail delivery failed: returning message to sender",
                  _EXIM_HEAD + blocks, to, separator=_EXIM_SEP)


CASES = [
    # --- qmail and descendants --------------------------------------------------------------
    # notqmail qmail-local.c: "Sorry, no mailbox here by that name. (#5.1.1)"
    ("qmail-local-no-mailbox", _qmail("<ann@example.com>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n", "ann@example.com"),
     {"ann@example.com": ("user_unknown", H)}),
    # notqmail qmail-remote.c: "<ip> does not like recipient." + "Remote host said: ..." + "Giving up on <ip>."
    ("qmail-remote-two", _qmail(
        "<bea@example.com>:\n192.0.2.10 does not like recipient.\nRemote host said: 550 5.1.1 <bea@example.com>: Recipient address rejected: User unknown in local recipient table\nGiving up on 192.0.2.10.\n\n"
        "<cid@example.net>:\n198.51.100.7 does not like recipient.\nRemote host said: 552 5.2.2 <cid@example.net>: mailbox full\nGiving up on 198.51.100.7.\n\n",
        "bea@example.com, cid@example.net"),
     {"bea@example.com": ("user_unknown", H), "cid@example.net": ("mailbox_full", S)}),
    # notqmail qmail-remote.c: "Sorry, I couldn't find any host named <host>. (#5.1.2)"
    ("qmail-remote-no-host", _qmail("<dee@nohost.example.invalid>:\nSorry, I couldn't find any host named nohost.example.invalid. (#5.1.2)\n\n",
                                    "dee@nohost.example.invalid"),
     {"dee@nohost.example.invalid": ("host_unknown", H)}),
    # notqmail qmail-send.c: a deferral at queuelifetime becomes "I'm not going to try again; ...";
    # the cause, a connection never made, is the reason (RFC 3463 X.4.1 "No answer from host")
    # (the cause, a connection never made, is the reason: RFC 3463 X.4.1 "No answer from host")
    ("qmail-queue-too-long", _qmail("<eve@example.com>:\nSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
                                    "I'm not going to try again; this message has been in the queue too long.\n\n", "eve@example.com"),
     {"eve@example.com": ("network_error", S)}),
    # notqmail qmail-remote.c: "Connected to <ip> but sender was rejected." (our sender, not the address)
    ("qmail-remote-sender-rejected", _qmail("<fay@example.com>:\nConnected to 192.0.2.10 but sender was rejected.\n"
                                            "Remote host said: 553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)\n\n", "fay@example.com"),
     {"fay@example.com": ("rejected", S)}),
    # notqmail qmail-remote.c: "<ip> failed after I sent the message." (a refusal at end of DATA)
    ("qmail-remote-after-data", _qmail("<gus@example.com>:\n192.0.2.10 failed after I sent the message.\n"
                                       "Remote host said: 554 5.7.1 Message rejected as spam by Content Filtering\n\n", "gus@example.com"),
     {"gus@example.com": ("spam_detected", S)}),
    # vpopmail vdelivermail.c: "Sorry, no mailbox here by that name. vpopmail (#5.1.1)"
    ("vpopmail-no-mailbox", _qmail("<hal@example.com>:\nSorry, no mailbox here by that name. vpopmail (#5.1.1)\n\n", "hal@example.com"),
     {"hal@example.com": ("user_unknown", H)}),
    # vpopmail vdelivermail.c: "user is over quota, mail bounced", "mail is looping"
    ("vpopmail-over-quota-and-loop", _qmail("<hugo@example.com>:\nuser is over quota, mail bounced\n\n"
                                            "<inge@example.com>:\nmail is looping\n\n", "hugo@example.com, inge@example.com"),
     {"hugo@example.com": ("mailbox_full", S), "inge@example.com": ("network_error", S)}),
    # qmail-ldap patch (qmail-ldap-1.03): "Mailaddress is administratively disabled. (#5.2.1)"
    ("qmail-ldap-disabled", _qmail("<ida@example.com>:\nMailaddress is administratively disabled. (#5.2.1)\n\n", "ida@example.com"),
     {"ida@example.com": ("suspend", S)}),
    # qmail-ldap patch: "The users mailfolder is over the allowed quota (size). (#5.2.2)"
    ("qmail-ldap-quota", _qmail("<jan@example.com>:\nThe users mailfolder is over the allowed quota (size). (#5.2.2)\n\n", "jan@example.com"),
     {"jan@example.com": ("mailbox_full", S)}),
    # chkuser (qmail-smtpd patch) as quoted by qmail-remote: "511 sorry, no mailbox here by that name (#5.1.1 - chkuser)"
    ("qmail-remote-chkuser", _qmail("<kai@example.com>:\n192.0.2.10 does not like recipient.\n"
                                    "Remote host said: 511 sorry, no mailbox here by that name (#5.1.1 - chkuser)\nGiving up on 192.0.2.10.\n\n", "kai@example.com"),
     {"kai@example.com": ("user_unknown", H)}),
    # qmail-smtpd.c: "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
    ("qmail-remote-rcpthosts", _qmail("<lea@example.com>:\n192.0.2.10 does not like recipient.\n"
                                      "Remote host said: 553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\nGiving up on 192.0.2.10.\n\n", "lea@example.com"),
     {"lea@example.com": ("no_relaying", S)}),
    # --- Exim --------------------------------------------------------------------------------
    # Exim routers: "Unrouteable address" (no router accepted the domain)
    ("exim-unrouteable", _exim("  mia@nohost.example.net\n    Unrouteable address\n", "mia@nohost.example.net"),
     {"mia@nohost.example.net": ("host_unknown", H)}),
    # Exim dnslookup router: "all relevant MX records point to non-existent hosts"
    ("exim-mx-nonexistent", _exim("  ned@badmx.example.net\n    all relevant MX records point to non-existent hosts\n", "ned@badmx.example.net"),
     {"ned@badmx.example.net": ("host_unknown", H)}),
    # Exim deliver.c: a temporary error past the retry rules' cutoff: "retry timeout exceeded"
    ("exim-retry-timeout", _exim("  oda@slow.example.net\n    retry timeout exceeded\n", "oda@slow.example.net"),
     {"oda@slow.example.net": ("expired", S)}),
    # Exim appendfile quota past the retry cutoff: "mailbox is full: retry timeout exceeded"
    ("exim-mailbox-full-retry", _exim("  pia@example.com\n    mailbox is full: retry timeout exceeded\n", "pia@example.com"),
     {"pia@example.com": ("mailbox_full", S)}),
    # Exim appendfile.c: "mailbox is full (MTA-imposed quota exceeded while writing to <file>)"
    ("exim-appendfile-quota", _exim("  save to /var/mail/quin\n    generated by quin@example.com\n"
                                    "    mailbox is full (MTA-imposed quota exceeded while writing to /var/mail/quin)\n", "quin@example.com"),
     {"quin@example.com": ("mailbox_full", S)}),
    # Exim lmtp transport: "LMTP error after end of data: <reply>" (Dovecot's quota_exceeded_message)
    ("exim-lmtp-quota", _exim("  rae@example.com\n    LMTP error after end of data: 552 5.2.2 <rae@example.com> Quota exceeded (mailbox for user is full)\n",
                              "rae@example.com"),
     {"rae@example.com": ("mailbox_full", S)}),
    # Exim redirect router ":fail: Unknown user" and a remote RCPT refusal in one notice
    ("exim-two", _exim("  sal@example.com\n    Unknown user\n"
                       "  tia@example.net\n    host mx.example.net [198.51.100.7]\n"
                       "    SMTP error from remote mail server after RCPT TO:<tia@example.net>:\n"
                       "    550 5.1.1 <tia@example.net>: Recipient address rejected: User unknown\n", "sal@example.com, tia@example.net"),
     {"sal@example.com": ("user_unknown", H), "tia@example.net": ("user_unknown", H)}),
    # --- Postfix local(8)/virtual(8)/lmtp(8), Dovecot and Cyrus behind it ---------------------
    # Postfix local/alias.c & mailbox.c: 'unknown user: "<name>"' (5.1.1)
    ("postfix-local-unknown-user", _report(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", "Undelivered Mail Returned to Sender",
        "This is the mail system at host mx.example.net.\n\nI'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        "                   The mail system\n\n<uma@example.com>: unknown user: \"uma\"\n",
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; uma@example.com\nOriginal-Recipient: rfc822;uma@example.com\n"
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: X-Postfix; unknown user: \"uma\"\n", "uma@example.com"),
     {"uma@example.com": ("user_unknown", H)}),
    # Postfix local/mailbox.c: "cannot update mailbox %s for user %s. %s" with EDQUOT (5.2.2)
    ("postfix-local-disk-quota", _report(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", "Undelivered Mail Returned to Sender",
        "This is the mail system at host mx.example.net.\n\n                   The mail system\n\n"
        "<vic@example.com>: cannot update mailbox /var/mail/vic for user vic. error\n    writing message: Disk quota exceeded\n",
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; vic@example.com\nAction: failed\nStatus: 5.2.2\n"
        "Diagnostic-Code: X-Postfix; cannot update mailbox /var/mail/vic for user vic.\n    error writing message: Disk quota exceeded\n",
        "vic@example.com"),
     {"vic@example.com": ("mailbox_full", S)}),
    # Postfix virtual(8): 'unknown user: "<address>"'
    ("postfix-virtual-unknown-user", _report(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", "Undelivered Mail Returned to Sender",
        "This is the mail system at host mx.example.net.\n\n<wes@example.com>: unknown user: \"wes@example.com\"\n",
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; wes@example.com\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: X-Postfix; unknown user: \"wes@example.com\"\n", "wes@example.com"),
     {"wes@example.com": ("user_unknown", H)}),
    # Postfix lmtp(8) to Dovecot LMTP: quota_exceeded_message "Quota exceeded (mailbox for user is full)"
    ("postfix-lmtp-dovecot-quota", _report(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", "Undelivered Mail Returned to Sender",
        "This is the mail system at host mx.example.net.\n\n<xia@example.com>: host mail.example.net[private/dovecot-lmtp] said:\n"
        "    552 5.2.2 <xia@example.com> Quota exceeded (mailbox for user is full)\n    (in reply to end of DATA command)\n",
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; xia@example.com\nAction: failed\nStatus: 5.2.2\n"
        "Remote-MTA: dns; mail.example.net\nDiagnostic-Code: smtp; 552 5.2.2 <xia@example.com> Quota exceeded (mailbox\n    for user is full)\n",
        "xia@example.com"),
     {"xia@example.com": ("mailbox_full", S)}),
    # Dovecot lmtp-commands.c: "550 5.1.1 <addr> User doesn't exist: <addr>"
    ("postfix-lmtp-dovecot-unknown", _report(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", "Undelivered Mail Returned to Sender",
        "This is the mail system at host mx.example.net.\n\n<yan@example.com>: host mail.example.net[private/dovecot-lmtp] said:\n"
        "    550 5.1.1 <yan@example.com> User doesn't exist: yan@example.com (in reply to\n    RCPT TO command)\n",
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; yan@example.com\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <yan@example.com> User doesn't exist: yan@example.com\n", "yan@example.com"),
     {"yan@example.com": ("user_unknown", H)}),
    # Cyrus lmtpd (imap/lmtpengine.c, imap_err.et IMAP_MAILBOX_NONEXISTENT "Mailbox does not exist")
    ("postfix-lmtp-cyrus-nonexistent", _report(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", "Undelivered Mail Returned to Sender",
        "This is the mail system at host mx.example.net.\n\n<zoe@example.com>: host mail.example.net[/var/lib/imap/socket/lmtp] said:\n"
        "    550-Mailbox unknown.  Either there is no mailbox associated with this 550-name\n"
        "    or you do not have authorization to see it. 550 5.1.1 User unknown (in\n    reply to RCPT TO command)\n",
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; zoe@example.com\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550-Mailbox unknown.  Either there is no mailbox associated with this 550-name or you do not have authorization to see it. 550 5.1.1 User unknown\n",
        "zoe@example.com"),
     {"zoe@example.com": ("user_unknown", H)}),
    # Cyrus lmtpd over quota (imap_err.et IMAP_QUOTA_EXCEEDED "Over quota"), bounced at expiry
    ("postfix-lmtp-cyrus-over-quota", _report(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", "Undelivered Mail Returned to Sender",
        "This is the mail system at host mx.example.net.\n\n<abe@example.com>: host mail.example.net[/var/lib/imap/socket/lmtp] said:\n"
        "    452 4.2.2 Over quota SESSIONID=<cyrus-1234-1>\n    (in reply to RCPT TO command)\n",
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; abe@example.com\nAction: failed\nStatus: 4.2.2\n"
        "Diagnostic-Code: smtp; 452 4.2.2 Over quota SESSIONID=<cyrus-1234-1>\n", "abe@example.com"),
     {"abe@example.com": ("mailbox_full", S)}),
    # Dovecot LDA/LMTP rejection mail (lib-lda/mail-send.c): an MDN, rejection_reason
    # "Your message to <%t> was automatically rejected:%n%r", Disposition ...; deleted
    ("dovecot-lda-rejection-quota", _report(
        "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>", "Rejected: Monthly news",
        "Your message to <ben@example.com> was automatically rejected:\nQuota exceeded (mailbox for user is full)\n",
        "Reporting-UA: mx.example.net; Dovecot Mail Delivery Agent\nFinal-Recipient: rfc822; ben@example.com\n"
        "Original-Message-ID: <orig-1@sender.example.org>\nDisposition: automatic-action/MDN-sent-automatically; deleted\n",
        "ben@example.com", report_type="disposition-notification"),
     {"ben@example.com": ("mailbox_full", S)}),
    # --- Haraka (config/outbound.bounce_message, outbound/hmail.js: recipients joined by ", ") --
    ("haraka-plain-two", _plain(
        "MAILER-DAEMON@haraka.example.net", "failure notice",
        "Hi. This is the Haraka Mailer program at haraka.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "Intended Recipients: <cal@example.com>, <dot@example.com>\n"
        "Failure Reason: 550 5.1.1 <cal@example.com>: Recipient address rejected: User unknown in virtual mailbox table\n",
        "cal@example.com, dot@example.com"),
     {"cal@example.com": ("user_unknown", H), "dot@example.com": ("user_unknown", H)}),
    ("haraka-plain-one", _plain(
        "MAILER-DAEMON@haraka.example.net", "failure notice",
        "Hi. This is the Haraka Mailer program at haraka.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "Intended Recipients: <eli@example.com>\n"
        "Failure Reason: 552 5.2.2 <eli@example.com>: Mailbox full\n", "eli@example.com"),
     {"eli@example.com": ("mailbox_full", S)}),
    # --- hMailServer (SMTPClientConnection.cpp error block; default "undeliverable" template) ---
    ("hmailserver-rcpt", _plain(
        "MAILER-DAEMON@hms.example.net", "Message undeliverable: Monthly news",
        "Your message did not reach some or all of the intended recipients.\n\n"
        "   Sent: Mon, 3 Mar 2025 09:00:00 +0000\n   Subject: Monthly news\n\n"
        "The following recipient(s) could not be reached:\n\n"
        "fox@example.com\n   Error Type: SMTP\n   Remote server (198.51.100.7) issued an error.\n"
        "   hMailServer sent: RCPT TO:<fox@example.com>\n"
        "   Remote server replied: 550 5.1.1 <fox@example.com>: Recipient address rejected: User unknown\n\n"
        "gil@example.net\n   Error Type: SMTP\n   Remote server (203.0.113.9) issued an error.\n"
        "   hMailServer sent: RCPT TO:<gil@example.net>\n"
        "   Remote server replied: 552 5.2.2 Mailbox full\n\nhMailServer\n", "fox@example.com, gil@example.net"),
     {"fox@example.com": ("user_unknown", H), "gil@example.net": ("mailbox_full", S)}),
    ("hmailserver-connect", _plain(
        "MAILER-DAEMON@hms.example.net", "Message undeliverable: Monthly news",
        "Your message did not reach some or all of the intended recipients.\n\n"
        "   Sent: Mon, 3 Mar 2025 09:00:00 +0000\n   Subject: Monthly news\n\n"
        "The following recipient(s) could not be reached:\n\n"
        "hal@down.example.net\n   Error Type: SMTP\n   Connection to recipients server failed.\n"
        "   Error: Host name: mx.down.example.net, message: No connection could be made because the target machine actively refused it\n\nhMailServer\n", "hal@down.example.net"),
     {"hal@down.example.net": ("network_error", S)}),
    # --- Courier (module.dsn/dsnfailed.txt + courierdsn.c: text part lists "<addr>:" blocks) ---
    ("courier-dsn", _report(
        "Courier mail server at mx.example.net <@>", "NOTICE: mail delivery status.",
        "This is a delivery status notification from mx.example.net,\nrunning the Courier mail server.\n\n"
        "The original message was received on Mon, 3 Mar 2025 09:00:00 +0000\nfrom sender.example.org [192.0.2.1]\n\n"
        "---------------------------------------------------------------------------\n\n"
        "                           UNDELIVERABLE MAIL\n\n"
        "Your message to the following recipients cannot be delivered:\n\n"
        "<ivy@example.com>:\n    mx.example.com [198.51.100.7]:\n>>> RCPT TO:<ivy@example.com>\n<<< 550 5.1.1 <ivy@example.com>... User unknown\n",
        "Reporting-MTA: dns; mx.example.net\nArrival-Date: Mon, 3 Mar 2025 09:00:00 +0000\n\n"
        "Final-Recipient: rfc822; ivy@example.com\nAction: failed\nStatus: 5.0.0\nRemote-MTA: dns; mx.example.com\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <ivy@example.com>... User unknown\n", "ivy@example.com"),
     {"ivy@example.com": ("user_unknown", H)}),

    # --- Apache James (DSNBounce/Bounce mailets: "Failed recipient(s):" one a line, one "Error message:") --
    ("james-two", _plain(
        "MAILER-DAEMON@james.example.net", "[BOUNCE]",
        "Hi. This is the James mail server at james.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.  Below\n"
        "I include the list of recipients and the reason why I was unable to deliver\nyour message.\n\n"
        "Original email subject: Monthly news\n\n"
        "Failed recipient(s):\njon@example.com\nkim@example.com\n\n"
        "Error message:\n550 5.1.1 <jon@example.com>: Recipient address rejected: User unknown in virtual mailbox table\n\n",
        "jon@example.com, kim@example.com"),
     {"jon@example.com": ("user_unknown", H), "kim@example.com": ("user_unknown", H)}),
    # --- masqmail (tpl/failmsg.tpl, tpl/warnmsg.tpl: "\t<addr>" a line, then ${err_msg}) -------------
    ("masqmail-fail", _mixed(
        "MAILER-DAEMON@mq.example.net", "Mail Delivery Failure Notice",
        "This message was sent to you by the mailer daemon (masqmail 0.3.4)\nat mq.example.net.\n\n"
        "Sorry, but your mail could not be delivered to all recipients.\n"
        "Delivery to the following recipients failed permanently and has been given\nup:\n\n"
        "\t<lou@example.com>\n\tmay@example.com\n\n"
        "This error message may give you a hint about what caused the\nfailure:\n\n"
        "550 5.1.1 <lou@example.com>: Recipient address rejected: User unknown\n\n"
        "If you need help, write to <postmaster@mq.example.net>.\n\nYour message follows attached, including all headers:\n",
        "lou@example.com, may@example.com"),
     {"lou@example.com": ("user_unknown", H), "may@example.com": ("user_unknown", H)}),
    ("masqmail-warn", _plain(
        "MAILER-DAEMON@mq.example.net", "Warning: could not yet send message",
        "This message was sent to you by the mailer daemon (masqmail 0.3.4)\nat mq.example.net.\n\n"
        "Sorry, but your mail could not yet be delivered to all recipients.\n"
        "Delivery to the following recipients has been defered:\n\n\t<ned@example.com>\n\n"
        "Delivery will be tried again, until it is either successfull or a\ntimeout has been reached. If the latter happens, you will get a\n"
        "delivery failure notice.\n\n\nThis error message may give you a hint about what caused the\ndelay:\n\n"
        "451 4.3.0 <ned@example.com>: Temporary lookup failure\n\n"
        "If you need help, write to <postmaster@mq.example.net>.\n\nThe headers of your message follow attached:\n",
        "ned@example.com", separator=""),
     {"ned@example.com": ("system_error", D)}),
    # --- Exim, less common texts -------------------------------------------------------------------
    # Exim receive.c: 'Too many "Received" headers - suspected mail loop': the message's own header
    # count (RFC 5321 6.3), a content refusal
    ("exim-mail-loop", _exim("  olu@example.com\n    Too many \"Received\" headers - suspected mail loop\n", "olu@example.com"),
     {"olu@example.com": ("content_error", S)}),
    # Exim dnslookup router, a DNS lookup that never answered, given up at the retry cutoff
    ("exim-host-lookup", _exim("  quinn@dns.example.net\n    host lookup did not complete: retry timeout exceeded\n", "quinn@dns.example.net"),
     {"quinn@dns.example.net": ("network_error", S)}),
    # Exim deliver.c: "retry time not reached for any host after a long failure period"
    ("exim-retry-long-failure", _exim("  pat@slow.example.net\n    retry time not reached for any host after a long failure period\n", "pat@slow.example.net"),
     {"pat@slow.example.net": ("expired", S)}),
    # Postfix local(8)/smtp: "mail forwarding loop for <addr>" (5.4.6)
    ("postfix-forwarding-loop", _report(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", "Undelivered Mail Returned to Sender",
        "This is the mail system at host mx.example.net.\n\n<rex@example.com>: mail forwarding loop for rex@example.com\n",
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; rex@example.com\nAction: failed\nStatus: 5.4.6\n"
        "Diagnostic-Code: X-Postfix; mail forwarding loop for rex@example.com\n", "rex@example.com"),
     {"rex@example.com": ("network_error", S)}),
    # --- Exchange 2007/2010 text NDR (learn.microsoft.com "Delivery status notifications in Exchange Server") --
    ("exchange-2010-two", _plain(
        "Microsoft Outlook <postmaster@ex.example.com>", "Undeliverable: Monthly news",
        "Delivery has failed to these recipients or groups:\n\n"
        "sam@ex.example.com\nThe e-mail address you entered couldn't be found. Please check the recipient's e-mail address and try to resend the message.\n\n"
        "tom@ex.example.com\nThe recipient's mailbox is full and can't accept messages now.\n\n\n"
        "Diagnostic information for administrators:\n\nGenerating server: ex1.ex.example.com\n\n"
        "sam@ex.example.com\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\n"
        "tom@ex.example.com\n#550 5.2.2 STOREDRV.Deliver: mailbox full ##\n\n"
        "Original message headers:\n\n", "sam@ex.example.com, tom@ex.example.com", separator=""),
     {"sam@ex.example.com": ("user_unknown", H), "tom@ex.example.com": ("mailbox_full", S)}),
    # --- Sun/Oracle Messaging Server NDN ("Your message cannot be delivered to the following recipients")
    ("messaging-server-two", _plain(
        "Internet Mail Delivery <postmaster@ms.example.com>", "Delivery Notification: Delivery has failed",
        "This report relates to a message you sent with the following header fields:\n\n"
        "  Message-id: <orig-1@sender.example.org>\n  Date: Mon, 3 Mar 2025 09:00:00 +0000\n"
        "  From: Newsletter <news@sender.example.org>\n  To: uma@ms.example.com, vera@nohost.example.invalid, colleague@example.org\n"
        "  Subject: Monthly news\n\nYour message cannot be delivered to the following recipients:\n\n"
        "  Recipient address: uma@ms.example.com\n  Reason: Remote SMTP server has rejected address\n"
        "  Diagnostic code: smtp;550 5.1.1 unknown or illegal alias: uma@ms.example.com\n"
        "  Remote system: dns;mx.ms.example.com (TCP|192.0.2.5|41234|198.51.100.9|25) (mx.ms.example.com ESMTP)\n\n"
        "  Recipient address: vera@nohost.example.invalid\n  Reason: Illegal host/domain name found\n\n",
        "uma@ms.example.com, vera@nohost.example.invalid", separator=""),
     {"uma@ms.example.com": ("user_unknown", H), "vera@nohost.example.invalid": ("host_unknown", H)}),

    # --- OpenSMTPD (smtpd/bounce.c notice_error / notice_warning, "addr: reason" a line) ---------
    ("opensmtpd-two", _plain(
        "Mailer Daemon <MAILER-DAEMON@obsd.example.net>", "Delivery status notification: error",
        "    Hi!\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.\n\n"
        "    An error has occurred while attempting to deliver a message for\n    the following list of recipients:\n\n"
        "ada@example.com: 550 5.1.1 <ada@example.com>: Recipient address rejected: User unknown\n"
        "bob@example.net: 552 5.2.2 <bob@example.net>: Mailbox full\n\n"
        "    Below is a copy of the original message:\n", "ada@example.com, bob@example.net", separator=""),
     {"ada@example.com": ("user_unknown", H), "bob@example.net": ("mailbox_full", S)}),
    ("opensmtpd-envelope-expired", _plain(
        "Mailer Daemon <MAILER-DAEMON@obsd.example.net>", "Delivery status notification: error",
        "    Hi!\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.\n\n"
        "    An error has occurred while attempting to deliver a message for\n    the following list of recipients:\n\n"
        "cy@slow.example.net: Envelope expired\ndi@slow.example.net: Envelope expired\n\n"
        "    Below is a copy of the original message:\n", "cy@slow.example.net, di@slow.example.net", separator=""),
     {"cy@slow.example.net": ("expired", S), "di@slow.example.net": ("expired", S)}),
    ("opensmtpd-delay", _plain(
        "Mailer Daemon <MAILER-DAEMON@obsd.example.net>", "Delivery status notification: delay",
        "    Hi!\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.\n\n"
        "    A message is delayed for more than 4 hours for the following\n    list of recipients:\n\n"
        "ed@slow.example.net: Network error on destination MXs\n\n"
        "    Please note that this is only a temporary failure report.\n    The message is kept in the queue for up to 4 days.\n"
        "    You DO NOT NEED to re-send the message to these recipients.\n\n"
        "    Below is a copy of the original message:\n", "ed@slow.example.net", separator=""),
     {"ed@slow.example.net": ("network_error", D)}),
    # OpenSMTPD 4.x bounce.c: "Recipient: %s@%s\nReason:\n%s"
    ("opensmtpd-old-single", _plain(
        "Mailer Daemon <MAILER-DAEMON@obsd.example.net>", "Delivery status notification",
        "Hi !\n\nThis is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.\n"
        "An error has occurred while attempting to deliver a message.\n\n"
        "Recipient: fi@example.com\nReason:\n550 5.1.1 <fi@example.com>... User unknown\n\n"
        "Below is a copy of the original message:\n", "fi@example.com", separator=""),
     {"fi@example.com": ("user_unknown", H)}),
    # --- Sendmail without a MIME report (sendmail.cf without DSN: "(reason: ...)" lines) ----------
    ("sendmail-plain-two", _plain(
        "Mail Delivery Subsystem <MAILER-DAEMON@sm.example.net>", "Returned mail: see transcript for details",
        "The original message was received at Mon, 3 Mar 2025 09:00:00 GMT\nfrom sender.example.org [192.0.2.1]\n\n"
        "   ----- The following addresses had permanent fatal errors -----\n<gia@example.com>\n"
        "    (reason: 550 5.1.1 <gia@example.com>... User unknown)\n<hu@example.com>\n    (reason: 552 5.2.2 <hu@example.com>... Mailbox full)\n\n"
        "   ----- Transcript of session follows -----\n... while talking to mx.example.com.:\n>>> RCPT To:<gia@example.com>\n"
        "<<< 550 5.1.1 <gia@example.com>... User unknown\n550 5.1.1 <gia@example.com>... User unknown\n>>> DATA\n"
        "<<< 552 5.2.2 <hu@example.com>... Mailbox full\n552 5.2.2 <hu@example.com>... Mailbox full\n",
        "gia@example.com, hu@example.com", separator="   ----- Original message follows -----"),
     {"gia@example.com": ("user_unknown", H), "hu@example.com": ("mailbox_full", S)}),
    # Sendmail savemail.c/deliver.c warning: "**  THIS IS A WARNING MESSAGE ONLY  **", "Deferred:"
    ("sendmail-plain-warning", _plain(
        "Mail Delivery Subsystem <MAILER-DAEMON@sm.example.net>", "Warning: could not send message for past 4 hours",
        "    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n"
        "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n    **********************************************\n\n"
        "The original message was received at Mon, 3 Mar 2025 09:00:00 GMT\nfrom sender.example.org [192.0.2.1]\n\n"
        "   ----- Transcript of session follows -----\n<ian@slow.example.net>... Deferred: Connection timed out with mx.slow.example.net.\n"
        "Warning: message still undelivered after 4 hours\nWill keep trying until message is 5 days old\n",
        "ian@slow.example.net", separator="   ----- Original message follows -----"),
     {"ian@slow.example.net": ("expired", D)}),
    # --- Exchange 2003 text NDR (learn.microsoft.com, Exchange 2003 NDR "#5.x.x" lines) ----------
    ("exchange-2003-two", _plain(
        "System Administrator <postmaster@ex3.example.com>", "Undeliverable: Monthly news",
        "Your message did not reach some or all of the intended recipients.\n\n"
        "      Subject:\tMonthly news\n      Sent:\t3/3/2025 9:00 AM\n\n"
        "The following recipient(s) could not be reached:\n\n"
        "      jo@ex3.example.com on 3/3/2025 9:01 AM\n"
        "            The e-mail account does not exist at the organization this message was sent to.  Check the e-mail address, or contact the recipient directly to find out the correct address.\n"
        "            <ex3.example.com #5.1.1>\n\n"
        "      kip@ex3.example.com on 3/3/2025 9:01 AM\n"
        "            The recipient's mailbox is full and can't accept messages now.  Please try resending this message later, or contact the recipient directly.\n"
        "            <ex3.example.com #5.2.2>\n", "jo@ex3.example.com, kip@ex3.example.com", separator=""),
     {"jo@ex3.example.com": ("user_unknown", H), "kip@ex3.example.com": ("mailbox_full", S)}),
    # --- Exchange 5.5 Internet Mail Service ("did not reach the following recipient(s):", MSEXCH:IMS)
    ("exchange-55-ims-two", _plain(
        "System Administrator <postmaster@ims.example.com>", "Undeliverable: Monthly news",
        "Your message\n\n  To:      lu@ims.example.com; mo@ims.example.com; colleague@example.org\n  Subject: Monthly news\n"
        "  Sent:    Mon, 3 Mar 2025 09:00:00 +0000\n\ndid not reach the following recipient(s):\n\n"
        "lu@ims.example.com on Mon, 3 Mar 2025 09:01:00 +0000\n    The recipient name is not recognized\n"
        "\tThe MTS-ID of the original message is: c=us;a= ;p=example;l=IMS0303090100ABCDEF\n"
        "    MSEXCH:IMS:Example:Site:IMS 0 (000C05A6) Unknown Recipient\n"
        "mo@ims.example.com on Mon, 3 Mar 2025 09:01:00 +0000\n    The recipient name is not recognized\n"
        "\tThe MTS-ID of the original message is: c=us;a= ;p=example;l=IMS0303090100ABCDEF\n"
        "    MSEXCH:IMS:Example:Site:IMS 0 (000C05A6) Unknown Recipient\n", "lu@ims.example.com, mo@ims.example.com", separator=""),
     {"lu@ims.example.com": ("user_unknown", H), "mo@ims.example.com": ("user_unknown", H)}),

    # --- Windows SMTP service (IIS SMTPSVC / Exchange 2000 SMTP): the DSN's text part, sent alone -----
    ("smtpsvc-failed-two", _plain(
        "postmaster@iis.example.com", "Delivery Status Notification (Failure)",
        "This is an automatically generated Delivery Status Notification.\n\n"
        "Delivery to the following recipients failed.\n\n       nia@example.com\n       oz@example.net\n\n",
        "nia@example.com, oz@example.net", separator=""),
     {"nia@example.com": ("undefined", S), "oz@example.net": ("undefined", S)}),
    ("smtpsvc-delayed", _plain(
        "postmaster@iis.example.com", "Delivery Status Notification (Delay)",
        "This is an automatically generated Delivery Status Notification.\n\n"
        "THIS IS A WARNING MESSAGE ONLY.\n\nYOU DO NOT NEED TO RESEND YOUR MESSAGE.\n\n"
        "Delivery to the following recipients has been delayed.\n\n       pam@slow.example.net\n\n",
        "pam@slow.example.net", separator=""),
     {"pam@slow.example.net": ("expired", D)}),
    ("smtpsvc-unable-to-connect", _plain(
        "postmaster@iis.example.com", "Delivery Status Notification (Failure)",
        "This is an automatically generated Delivery Status Notification.\n\n"
        "Unable to deliver message to the following recipients, due to being unable to connect successfully to the destination mail server.\n\n"
        "       quin@down.example.net\n\n", "quin@down.example.net", separator=""),
     {"quin@down.example.net": ("network_error", S)}),

    # --- XMail (QueueUtils.cpp QueUtBuildErrorResponse: "[<00>] XMail bounce: Rcpt=[%s];Error=[%s]") ---
    ("xmail-rcpt", _plain(
        "xm.example.net PostMaster <postmaster@xm.example.net>", "Error sending message [1234.5678.xm] from [xm.example.net]",
        "[<00>] XMail bounce: Rcpt=[ray@example.com];Error=[550 5.1.1 <ray@example.com>: Recipient address rejected: User unknown]\n\n\n"
        "[<01>] Error sending message [1234.5678.xm] from [xm.example.net].\n\n"
        "ID:        <S1A2B3>\nMail From: <news@sender.example.org>\nRcpt To:   <ray@example.com>\n"
        "Server:    <mx.example.com> [198.51.100.7]\n\n\n"
        "[<02>] The reason of the delivery failure was:\n\n"
        "550 5.1.1 <ray@example.com>: Recipient address rejected: User unknown\n\n\n",
        "ray@example.com", separator="[<05>] Here is listed the initial part of the message:"),
     {"ray@example.com": ("user_unknown", H)}),
    ("xmail-max-attempts", _plain(
        "xm.example.net PostMaster <postmaster@xm.example.net>", "Error sending message [1234.5679.xm] from [xm.example.net]",
        "[<00>] XMail bounce: Rcpt=[sid@slow.example.net];Error=[The maximum number of delivery attempts has been reached]\n\n\n"
        "[<01>] Error sending message [1234.5679.xm] from [xm.example.net].\n\n"
        "ID:        <S1A2B4>\nMail From: <news@sender.example.org>\nRcpt To:   <sid@slow.example.net>\n\n\n"
        "[<02>] The reason of the delivery failure was:\n\n"
        "The maximum number of delivery attempts has been reached\n\n\n",
        "sid@slow.example.net", separator="[<05>] Here is listed the initial part of the message:"),
     {"sid@slow.example.net": ("expired", S)}),

    # --- Zimbra LMTP (com/zimbra/cs/lmtpserver/LmtpReply.java) quoted by Postfix lmtp(8) -------------
    ("postfix-lmtp-zimbra-two", _report(
        "MAILER-DAEMON@zm.example.net (Mail Delivery System)", "Undelivered Mail Returned to Sender",
        "This is the mail system at host zm.example.net.\n\n"
        "<tam@zm.example.net>: host zm.example.net[192.0.2.20] said: 550 5.1.1 No such\n    user here (in reply to RCPT TO command)\n\n"
        "<uri@zm.example.net>: host zm.example.net[192.0.2.20] said: 552 5.2.2 Over\n    quota (in reply to end of DATA command)\n",
        "Reporting-MTA: dns; zm.example.net\n\n"
        "Final-Recipient: rfc822; tam@zm.example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 No such user here\n\n"
        "Final-Recipient: rfc822; uri@zm.example.net\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Over quota\n",
        "tam@zm.example.net, uri@zm.example.net"),
     {"tam@zm.example.net": ("user_unknown", H), "uri@zm.example.net": ("mailbox_full", S)}),
    # Zimbra LMTP MAILBOX_DISABLED "450 4.2.1 Mailbox disabled, not accepting messages": a delay
    ("postfix-lmtp-zimbra-disabled-delay", _report(
        "MAILER-DAEMON@zm.example.net (Mail Delivery System)", "Delayed Mail (still being retried)",
        "This is the mail system at host zm.example.net.\n\n####################################################################\n"
        "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\n"
        "<val@zm.example.net>: host zm.example.net[192.0.2.20] said: 450 4.2.1 Mailbox\n    disabled, not accepting messages (in reply to RCPT TO command)\n",
        "Reporting-MTA: dns; zm.example.net\n\n"
        "Final-Recipient: rfc822; val@zm.example.net\nAction: delayed\nStatus: 4.2.1\n"
        "Diagnostic-Code: smtp; 450 4.2.1 Mailbox disabled, not accepting messages\n", "val@zm.example.net"),
     {"val@zm.example.net": ("suspend", D)}),
    # --- MDaemon (DSN with the session transcript, MDaemon manual "DSN Options"), two recipients ---
    ("mdaemon-two", _plain(
        "MDaemon@md.example.com", "Permanent Delivery Failure",
        "The attached message had PERMANENT fatal delivery errors!\n\nYOUR MESSAGE WAS NOT DELIVERED!\n\n"
        "The following addresses did NOT receive a copy of your message:\n\n"
        ">    wim@md-remote.example.com\n>    xu@md-remote.example.com\n\n"
        "--- Session Transcript ---\n Attempting SMTP connection to [192.0.2.61 : 25]\n Connection established\n"
        " MAIL FROM:<news@sender.example.org>\n 250 2.1.0 Ok\n"
        " RCPT TO:<wim@md-remote.example.com>\n 550 5.1.1 <wim@md-remote.example.com>: Recipient address rejected: User unknown\n"
        " RCPT TO:<xu@md-remote.example.com>\n 552 5.2.2 <xu@md-remote.example.com>: Mailbox full\n--- End Transcript ---\n",
        "wim@md-remote.example.com, xu@md-remote.example.com", separator=""),
     {"wim@md-remote.example.com": ("user_unknown", H), "xu@md-remote.example.com": ("mailbox_full", S)}),

    # --- Exchange 2010 localised NDR text: the layout of learn.microsoft.com "Delivery status
    # notifications in Exchange Server" in the server's language (German, Spanish) -----------
    ("exchange-2010-de", _plain(
        "Microsoft Outlook <postmaster@ex.example.de>", "Unzustellbar: Monthly news",
        "Die Zustellung an folgende Empfänger oder Gruppen ist fehlgeschlagen:\n\n"
        "yann@ex.example.de\nDie eingegebene E-Mail-Adresse wurde nicht gefunden.\n\n\n"
        "Diagnoseinformationen für Administratoren:\n\nGenerierender Server: ex1.ex.example.de\n\n"
        "yann@ex.example.de\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\n"
        "Ursprüngliche Nachrichtenkopfzeilen:\n\n", "yann@ex.example.de", separator=""),
     {"yann@ex.example.de": ("user_unknown", H)}),
    ("exchange-2010-es", _plain(
        "Microsoft Outlook <postmaster@ex.example.es>", "No se puede entregar: Monthly news",
        "Error en la entrega a estos destinatarios o grupos:\n\n"
        "zara@ex.example.es\nEl buzón del destinatario está lleno.\n\n\n"
        "Información de diagnóstico para administradores:\n\nServidor de generación: ex1.ex.example.es\n\n"
        "zara@ex.example.es\n#550 5.2.2 STOREDRV.Deliver: mailbox full ##\n\n"
        "Encabezados de mensaje original:\n\n", "zara@ex.example.es", separator=""),
     {"zara@ex.example.es": ("mailbox_full", S)}),

    # --- CommuniGate Pro ("Failed to deliver to '<addr>'" + "<MODULE> module(<queue>) reports:"; the
    # module(queue)address notation of the CommuniGate Pro manual, "E-Mail Transfer") ----------------
    ("communigate-two", _plain(
        "MAILER-DAEMON@cgp.example.net", "Undeliverable mail: Monthly news",
        "Failed to deliver to '<abby@example.com>'\nSMTP module(domain example.com) reports:\n"
        " message text rejected by mx.example.com: 550 5.1.1 <abby@example.com>: Recipient address rejected: User unknown\n\n"
        "Failed to deliver to '<bart@cgp.example.net>'\nLOCAL module(account bart) reports:\n account is full (quota exceeded)\n\n",
        "abby@example.com, bart@cgp.example.net", separator=""),
     {"abby@example.com": ("user_unknown", H), "bart@cgp.example.net": ("mailbox_full", S)}),
    ("communigate-connection-broken", _plain(
        "MAILER-DAEMON@cgp.example.net", "Undeliverable mail: Monthly news",
        "Failed to deliver to '<cleo@example.net>'\nSMTP module(domain example.net) reports:\n"
        " connection with mx.example.net is broken\n\n", "cleo@example.net", separator=""),
     {"cleo@example.net": ("network_error", S)}),

    # Exim deliver.c delay warning (warn_message_file default): "The addresses to which the message
    # has not yet been delivered are:", two recipients with the reasons of the last attempt
    ("exim-delay-two", _plain(
        "Mail Delivery System <Mailer-Daemon@mx.example.net>", "Warning: message 1tXyZa-000AbC-1D delayed 24 hours",
        "This message was created automatically by mail delivery software.\n"
        "A message that you sent has not yet been delivered to one or more of its\n"
        "recipients after more than 24 hours on the queue on mx.example.net.\n\n"
        "The message identifier is:     1tXyZa-000AbC-1D\nThe subject of the message is: Monthly news\n"
        "The date of the message is:    Mon, 3 Mar 2025 09:00:00 +0000\n\n"
        "The addresses to which the message has not yet been delivered are:\n\n"
        "  dan@slow.example.net\n    host mx.slow.example.net [198.51.100.8]: Connection timed out\n"
        "  eli@greylist.example.net\n    host mx.greylist.example.net [203.0.113.5]\n"
        "    SMTP error from remote mail server after RCPT TO:<eli@greylist.example.net>:\n"
        "    451 4.7.1 Greylisting in action, please come back later\n\n"
        "No action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals if the message\n"
        "remains undelivered. Eventually the mail delivery software will give up,\nand when that happens, the message will be returned to you.\n",
        "dan@slow.example.net, eli@greylist.example.net"),
     {"dan@slow.example.net": ("expired", D), "eli@greylist.example.net": ("blocked", D)}),

    # --- SmarterMail ("Could not deliver message to the following recipient(s):", "Failed Recipient:"
    # and "Reason:" lines; SmarterTools KB "Common email delivery errors", kb.indsoft.net/kb/a70) ------
    ("smartermail-two", _plain(
        "postmaster@sm.example.net", "Undeliverable: Monthly news",
        "Could not deliver message to the following recipient(s):\n\n"
        "Failed Recipient: fern@example.com\nReason: Remote host said: 550 5.1.1 <fern@example.com>: Recipient address rejected: User unknown\n\n"
        "Failed Recipient: gil@sm.example.net\nReason: The mailbox is full\n\n", "fern@example.com, gil@sm.example.net", separator=""),
     {"fern@example.com": ("user_unknown", H), "gil@sm.example.net": ("mailbox_full", S)}),
    ("smartermail-no-mx", _plain(
        "postmaster@sm.example.net", "Undeliverable: Monthly news",
        "Could not deliver message to the following recipient(s):\n\n"
        "Failed Recipient: hope@nomx.example.net\n"
        "Reason: Failed to connect to the recipients mail server. No MX records were found for the 'nomx.example.net' domain.\n"
        "Failed all attempts to connect to the recipients mail server.\n\n", "hope@nomx.example.net", separator=""),
     {"hope@nomx.example.net": ("not_accept", H)}),
    ("smartermail-domain-size", _plain(
        "postmaster@sm.example.net", "Undeliverable: Monthly news",
        "Could not deliver message to the following recipient(s):\n\n"
        "Failed Recipient: ivan@sm.example.net\nReason: The domain size limit has been exceeded\n\n", "ivan@sm.example.net", separator=""),
     {"ivan@sm.example.net": ("system_full", S)}),

    # --- Coremail's replies (icoremail.vip/support "退信提示" list) quoted by Exim: sender-side
    # refusals under RFC 5321's 553, never a dead address ------------------------------------------
    ("exim-coremail-553-sender-side", _exim(
        "  jade@cm.example.net\n    host mx.cm.example.net [198.51.100.30]\n"
        "    SMTP error from remote mail server after RCPT TO:<jade@cm.example.net>:\n"
        "    553 Requested mail action not taken: Invalid IP\n"
        "  kurt@cm.example.net\n    host mx.cm.example.net [198.51.100.30]\n"
        "    SMTP error from remote mail server after RCPT TO:<kurt@cm.example.net>:\n"
        "    553 Requested mail action not taken: Fake sender\n"
        "  lana@cm.example.net\n    host mx.cm.example.net [198.51.100.30]\n"
        "    SMTP error from remote mail server after RCPT TO:<lana@cm.example.net>:\n"
        "    553 Requested action not taken: Local user only\n", "jade@cm.example.net, kurt@cm.example.net, lana@cm.example.net"),
     {"jade@cm.example.net": ("blocked", S), "kurt@cm.example.net": ("rejected", S), "lana@cm.example.net": ("no_relaying", S)}),
    ("exim-coremail-user", _exim(
        "  mona@cm.example.net\n    host mx.cm.example.net [198.51.100.30]\n"
        "    SMTP error from remote mail server after RCPT TO:<mona@cm.example.net>:\n    550 User not found\n"
        "  nils@cm.example.net\n    host mx.cm.example.net [198.51.100.30]\n"
        "    SMTP error from remote mail server after RCPT TO:<nils@cm.example.net>:\n    550 User suspended\n",
        "mona@cm.example.net, nils@cm.example.net"),
     {"mona@cm.example.net": ("user_unknown", H), "nils@cm.example.net": ("suspend", S)}),

    ("smartermail-connect", _plain(
        "postmaster@sm.example.net", "Undeliverable: Monthly news",
        "Could not deliver message to the following recipient(s):\n\n"
        "Failed Recipient: otto@down.example.net\n"
        "Reason: Failed four Attempts to connect to recipients mail server\n\n", "otto@down.example.net", separator=""),
     {"otto@down.example.net": ("network_error", S)}),

    # Pigeonhole Sieve 'reject' (RFC 5429 2.2.1: an MDN) through Dovecot's rejection_reason
    ("dovecot-sieve-reject", _report(
        "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>", "Rejected: Monthly news",
        "Your message to <pia2@example.com> was automatically rejected:\nI do not accept messages from this sender.\n",
        "Reporting-UA: mx.example.net; Dovecot Mail Delivery Agent\nFinal-Recipient: rfc822; pia2@example.com\n"
        "Original-Message-ID: <orig-1@sender.example.org>\nDisposition: automatic-action/MDN-sent-automatically; deleted\n",
        "pia2@example.com", report_type="disposition-notification"),
     {"pia2@example.com": ("filtered", S)}),

    # --- success notices (RFC 3461 NOTIFY=SUCCESS): delivered, never a failure ------------------
    # Postfix bounce_template "Successful Mail Delivery Report" (bounce(5) success_template)
    ("postfix-success", _report(
        "MAILER-DAEMON@mx.example.net (Mail Delivery System)", "Successful Mail Delivery Report",
        "This is the mail system at host mx.example.net.\n\nYour message was successfully delivered to the destination(s)\n"
        "listed below. If the message was delivered to mailbox you will\nreceive no further notifications. Otherwise you may still receive\n"
        "notifications of mail delivery errors from other systems.\n\n                   The mail system\n\n"
        "<rosa@example.com>: delivery via mx.example.com[198.51.100.7]:25: 250 2.0.0 Ok:\n    queued as 4XyZ\n",
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; rosa@example.com\nAction: relayed\nStatus: 2.0.0\n"
        "Remote-MTA: dns; mx.example.com\nDiagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4XyZ\n", "rosa@example.com"),
     {"rosa@example.com": ("delivered", Kind.DELIVERED)}),
    # Sendmail savemail.c return receipt: "The following addresses had successful delivery notifications"
    ("sendmail-success", _report(
        "Mail Delivery Subsystem <MAILER-DAEMON@sm.example.net>", "Return receipt",
        "The original message was received at Mon, 3 Mar 2025 09:00:00 GMT\nfrom sender.example.org [192.0.2.1]\n\n"
        "   ----- The following addresses had successful delivery notifications -----\n"
        "<seth@sm.example.net>  (successfully delivered to mailbox)\n",
        "Reporting-MTA: dns; sm.example.net\n\nFinal-Recipient: RFC822; seth@sm.example.net\nAction: delivered (to mailbox)\n"
        "Status: 2.1.5\n", "seth@sm.example.net"),
     {"seth@sm.example.net": ("delivered", Kind.DELIVERED)}),

    # Sendmail savemail.c without a MIME report: one address failed, one had a success notification
    ("sendmail-plain-failed-and-delivered", _plain(
        "Mail Delivery Subsystem <MAILER-DAEMON@sm.example.net>", "Returned mail: see transcript for details",
        "The original message was received at Mon, 3 Mar 2025 09:00:00 GMT\nfrom sender.example.org [192.0.2.1]\n\n"
        "   ----- The following addresses had permanent fatal errors -----\n<tess@sm.example.net>\n"
        "    (reason: 550 5.1.1 <tess@sm.example.net>... User unknown)\n\n"
        "   ----- The following addresses had successful delivery notifications -----\n"
        "<uwe@sm.example.net>  (successfully delivered to mailbox)\n\n"
        "   ----- Transcript of session follows -----\n550 5.1.1 <tess@sm.example.net>... User unknown\n"
        "<uwe@sm.example.net>... Successfully delivered\n",
        "tess@sm.example.net, uwe@sm.example.net", separator="   ----- Original message follows -----"),
     {"tess@sm.example.net": ("user_unknown", H), "uwe@sm.example.net": ("delivered", Kind.DELIVERED)}),
]


@pytest.mark.parametrize(("raw", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_notice(raw, expected):
    result = parse_message(raw)
    got = {r.recipient.lower(): (r.reason, r.kind) for r in result.recipients}
    assert got == expected
