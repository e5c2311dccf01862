"""False "suppress now": hard-sounding texts that do not say the recipient's address is dead.

The worst error bounced can make is a NOW (kind hard or complaint) for a good address: mail to a
real customer stops silently. Many refusals carry hard-sounding words (unknown, does not exist,
not found, unrouteable, 553, 551, a 5.1.X code) about something else: our envelope sender or its
domain (RFC 3463 X.1.7/X.1.8), our HELO name or client host, a temporary DNS failure, relaying,
an unknown SMTP command, a list's posting rules, a greylist. Each KEEP row below is such a text,
each NOW row a genuinely dead address or domain in a wording the first set resembles (so the
fix for one set cannot be bought with misses in the other).

Every text goes through the whole parser four ways a real MTA reports a refusal at RCPT: an RFC
3464 DSN with the remote's own code as Status (X.0.0 from the reply code when it has none), the
same with the class-only X.0.0 (OpenSMTPD), a Sendmail DSN whose Status is the 5.1.1 Sendmail
guesses for a bare 550 (its transcript closes with its own "... User unknown" summary), and
Exim's plain notice without a delivery-status part. Rows marked delayed go as Action: delayed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bounced.parse import parse_message

NOW, KEEP = "NOW", "KEEP"  # KEEP: anything but a NOW (counted, ignored or a delay)
RCPT, HOST, SENDER = "a@example.info", "mx.example.info", "news@sender.example"


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expected: str
    source: str
    action: str = "failed"
    rcpt: str = RCPT  # a provider's own host and domain, for its receiver table
    host: str = HOST


CASES = [
    # --- our envelope sender's domain (RFC 3463 3.2 X.1.8 "bad sender's system address") ------
    Case("sendmail-553-5.1.8-sender-domain", "553 5.1.8 <news@sender.example>... Domain of sender address news@sender.example does not exist", KEEP,
         "Sendmail cf/m4/proto.m4 check_mail: '553 Domain of sender address $&f does not exist' ($@ 5.1.8)"),
    Case("sendmail-451-4.1.8-sender-domain", "451 4.1.8 Domain of sender address news@sender.example does not resolve", KEEP,
         "Sendmail cf/m4/proto.m4 check_mail: '451 Domain of sender address $&f does not resolve' ($@ 4.1.8)"),
    Case("rfc3463-553-5.1.8-no-address", "553 5.1.8 Sender address domain does not exist", KEEP,
         "RFC 3463 3.2 X.1.8 'bad sender's system address': the sender's domain, named by no address"),
    Case("postfix-550-5.1.8-sender-domain-not-found", "550 5.1.8 <news@sender.example>: Sender address rejected: Domain not found", KEEP,
         "Postfix postconf(5) reject_unknown_sender_domain (unknown_address_reject_code), smtpd_check.c"),
    Case("postfix-450-4.1.8-sender-domain-not-found", "450 4.1.8 <news@sender.example>: Sender address rejected: Domain not found", KEEP,
         "Postfix postconf(5) reject_unknown_sender_domain, default unknown_address_reject_code 450"),
    Case("postfix-553-5.1.8-sender-domain-no-address", "553 5.1.8 Sender address rejected: Domain not found", KEEP,
         "Postfix reject_unknown_sender_domain text with the address left out by a relaying MTA's rewrite"),
    Case("postfix-550-5.1.7-unverified-sender", "550 5.1.7 <news@sender.example>: Sender address rejected: undeliverable address: host mx.sender.example[192.0.2.7] said: 550 5.1.1 <news@sender.example>: Recipient address rejected: User unknown in local recipient table", KEEP,
         "Postfix ADDRESS_VERIFICATION_README reject_unverified_sender (unverified_sender_reject_code): the sender's own probe answer quoted"),
    Case("postfix-550-5.1.0-unlisted-sender", "550 5.1.0 <news@sender.example>: Sender address rejected: User unknown in local recipient table", KEEP,
         "Postfix postconf(5) reject_unlisted_sender: the sender's address checked like a recipient's, X.1.0"),
    Case("postfix-553-5.7.1-sender-login-mismatch", "553 5.7.1 <news@sender.example>: Sender address rejected: not owned by user news", KEEP,
         "Postfix postconf(5) reject_sender_login_mismatch (smtpd_sender_login_maps)"),
    Case("postfix-553-5.7.1-sender-not-logged-in", "553 5.7.1 <news@sender.example>: Sender address rejected: not logged in", KEEP,
         "Postfix postconf(5) reject_unauthenticated_sender_login_mismatch"),
    Case("postfix-554-5.7.1-sender-access-denied", "554 5.7.1 <news@sender.example>: Sender address rejected: Access denied", KEEP,
         "Postfix access(5) REJECT in check_sender_access, default text 'Access denied'"),
    Case("sendmail-553-5.5.4-domain-required", "553 5.5.4 <news>... Domain name required for sender address news", KEEP,
         "Sendmail srvrsmtp.c MAIL: 'Domain name required for sender address %s'"),
    Case("qmail-553-badmailfrom", "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)", KEEP,
         "qmail-smtpd.c err_bmf()"),
    Case("qmail-553-sender-domain-must-exist", "553 sorry, your envelope sender domain must exist (#5.7.1)", KEEP,
         "qmail-smtpd mfcheck patch (netqmail users' distributions): the MAIL FROM domain has no DNS"),
    Case("exchange-550-5.1.8-bad-outbound-sender", "550 5.1.8 Access denied, bad outbound sender", KEEP,
         "learn.microsoft.com Exchange Online NDR 5.1.8: the sending account was blocked for sending spam"),
    Case("exchange-550-5.1.0-sender-denied", "550 5.1.0 Sender denied", KEEP,
         "learn.microsoft.com Exchange Online NDR 5.1.0 'Sender denied'"),
    Case("rfc3463-550-5.1.7-invalid-sender", "550 5.1.7 Invalid sender address", KEEP,
         "RFC 3463 3.2 X.1.7 'bad sender's mailbox address syntax'"),
    Case("exchange-550-5.1.90-daily-recipient-limit", "550 5.1.90 Your message can't be sent because you've reached your daily limit for message recipients", KEEP,
         "learn.microsoft.com Exchange Online NDR 5.1.90: the sender's daily recipient limit"),
    Case("ses-554-identity-not-verified", "554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: news@sender.example", KEEP,
         "docs.aws.amazon.com SES 'Email address is not verified' (the sending identity)"),
    Case("zoho-553-relaying-disallowed-as", "553 Relaying disallowed as news@sender.example", KEEP,
         "Zoho Mail SMTP error codes: '553 Relaying disallowed as <emailaddress>' for a From the account may not use"),
    Case("exim-550-sender-verify-unrouteable", "550-Verification failed for <news@sender.example> 550-Unrouteable address 550 Sender verify failed", KEEP,
         "Exim spec 'Access control lists', verify = sender: 'Verification failed for <a>', 'Sender verify failed'"),
    Case("exim-550-sender-verify-callout", "550-Verification failed for <news@sender.example> 550-Called: 192.0.2.7 550-Sent: RCPT TO:<news@sender.example> 550-Response: 550 5.1.1 <news@sender.example>: Recipient address rejected: User unknown in local recipient table 550 Sender verify failed", KEEP,
         "Exim spec 'Callout verification' (verify = sender/callout): the callout's answer quoted"),
    Case("rfc7208-550-5.1.8-spf-fail", "550 5.1.8 SPF check failed: sender.example does not designate 192.0.2.1 as permitted sender", KEEP,
         "RFC 7208 8.4 (Fail: 550 5.7.1 recommended) under a sloppy X.1.8"),
    Case("rfc7489-550-5.1.0-dmarc", "550 5.1.0 Message rejected due to DMARC policy of sender.example", KEEP,
         "RFC 7489 6.7 (policy reject) under a generic 5.1.0"),
    # --- our HELO name, our client host, our reverse DNS -------------------------------------
    Case("postfix-450-helo-host-not-found", "450 4.7.1 <mta.sender.example>: Helo command rejected: Host not found", KEEP,
         "Postfix postconf(5) reject_unknown_helo_hostname"),
    Case("postfix-550-helo-host-not-found", "550 5.7.1 <mta.sender.example>: Helo command rejected: Host not found", KEEP,
         "Postfix reject_unknown_helo_hostname with unknown_hostname_reject_code 550"),
    Case("postfix-501-helo-invalid-name", "501 5.5.2 <mta_sender>: Helo command rejected: Invalid name", KEEP,
         "Postfix postconf(5) reject_invalid_helo_hostname"),
    Case("postfix-504-helo-not-fqdn", "504 5.5.2 <mta>: Helo command rejected: need fully-qualified hostname", KEEP,
         "Postfix postconf(5) reject_non_fqdn_helo_hostname"),
    Case("postfix-450-client-cannot-find-hostname", "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]", KEEP,
         "Postfix postconf(5) reject_unknown_client_hostname"),
    Case("postfix-550-client-reverse-hostname", "550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]", KEEP,
         "Postfix postconf(5) reject_unknown_reverse_client_hostname"),
    # --- temporary DNS trouble: SERVFAIL, EAI_AGAIN, "try again" ------------------------------
    Case("postfix-dns-try-again", "Host or domain name not found. Name service error for name=example.info type=MX: Host not found, try again", KEEP,
         "Postfix smtp_addr.c / dns_lookup.c: TRY_AGAIN is 'Host not found, try again' (status 4.4.3), given up at queue lifetime"),
    Case("postfix-dns-try-again-5.1.2-status", "550 5.1.2 Host or domain name not found. Name service error for name=example.info type=MX: Host not found, try again", KEEP,
         "Postfix's TRY_AGAIN text quoted by a relay under its own 5.1.2 (postfix dns_lookup.c h_errno TRY_AGAIN)"),
    Case("glibc-eai-again", "451 4.4.3 Temporary failure in name resolution", KEEP,
         "glibc gai_strerror(EAI_AGAIN) 'Temporary failure in name resolution'"),
    Case("gmail-dns-servfail", "DNS Error: DNS type 'mx' lookup of example.info responded with code SERVFAIL", KEEP,
         "Gmail's DNS-error bounce wording (support.google.com/mail/answer/7720), RFC 1035 RCODE 2 SERVFAIL is temporary"),
    Case("qmail-cname-temporary", "CNAME lookup failed temporarily. (#4.4.3)", KEEP,
         "qmail-remote.c: 'CNAME lookup failed temporarily. (#4.4.3)'"),
    Case("qmail-451-dns-temporary", "451 DNS temporary failure (#4.3.0)", KEEP,
         "qmail-smtpd mfcheck patch: the sender domain's DNS lookup failed temporarily"),
    Case("exim-host-lookup-did-not-complete", "retry timeout exceeded: host lookup did not complete", KEEP,
         "Exim spec 'Retry configuration' / deliver.c: a DNS lookup that kept deferring until the retry time ran out"),
    # --- relaying refused: the receiver does not handle the domain for us --------------------
    Case("postfix-554-relay-access-denied", "554 5.7.1 <a@example.info>: Relay access denied", KEEP,
         "Postfix postconf(5) reject_unauth_destination"),
    Case("sendmail-550-relaying-denied", "550 5.7.1 <a@example.info>... Relaying denied", KEEP,
         "Sendmail cf/m4/proto.m4 check_rcpt: 'Relaying denied'"),
    Case("sendmail-550-relaying-denied-auth", "550 5.7.1 <a@example.info>... Relaying denied. Proper authentication required.", KEEP,
         "Sendmail cf/m4/proto.m4 check_rcpt with AUTH: 'Relaying denied. Proper authentication required.'"),
    Case("exim-550-relay-not-permitted", "550 relay not permitted", KEEP,
         "Exim default configure acl_check_rcpt: 'message = relay not permitted'"),
    Case("qmail-553-rcpthosts", "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", KEEP,
         "qmail-smtpd.c err_nogateway()"),
    Case("zoho-553-relaying-disallowed", "553 Relaying disallowed", KEEP,
         "Zoho Mail SMTP error codes: 553 'Relaying disallowed'"),
    Case("courier-513-relaying-denied", "513 Relaying denied.", KEEP,
         "Courier courieresmtpd: '513 Relaying denied.'"),
    Case("exchange-550-5.7.1-unable-to-relay", "550 5.7.1 Unable to relay", KEEP,
         "learn.microsoft.com Exchange NDR 5.7.1 'Unable to relay'"),
    Case("exchange-550-5.7.54-non-accepted-domain", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain", KEEP,
         "learn.microsoft.com Exchange Online NDR 5.7.54"),
    Case("postfix-554-recipient-access-denied", "554 5.7.1 <a@example.info>: Recipient address rejected: Access denied", KEEP,
         "Postfix access(5) REJECT in check_recipient_access (default text 'Access denied'): the admin's policy, not a lookup"),
    # --- commands the server does not know ----------------------------------------------------
    Case("postfix-502-command-not-recognized", "502 5.5.2 Error: command not recognized", KEEP,
         "Postfix smtpd.c: '502 5.5.2 Error: command not recognized'"),
    Case("sendmail-500-command-unrecognized", "500 5.5.1 Command unrecognized: \"XFOO\"", KEEP,
         "Sendmail srvrsmtp.c: '500 5.5.1 Command unrecognized'"),
    Case("exim-500-unrecognized-command", "500 unrecognized command", KEEP,
         "Exim smtp_in.c: '500 unrecognized command'"),
    Case("qmail-502-unimplemented", "502 unimplemented (#5.5.1)", KEEP,
         "qmail-smtpd.c err_unimpl()"),
    # --- lists, greylisting, policy and quota under a sloppy code ----------------------------
    Case("ezmlm-only-subscribers", "Sorry, only subscribers may post. If you are a subscriber, please forward this message to list-owner@example.info to get your new address included (#5.7.2)", KEEP,
         "ezmlm-issubn/ezmlm-gate: 'Sorry, only subscribers may post' (#5.7.2, RFC 3463 X.7.2)"),
    Case("mailman-non-member", "550 5.7.1 Post by non-member to a members-only list", KEEP,
         "Mailman 2 Handlers/Moderate.py hold/reject reason 'Post by non-member to a members-only list'"),
    Case("postgrey-450-greylisted", "450 4.2.0 <a@example.info>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.info.html", KEEP,
         "postgrey default greylist_text 'Greylisted, see http://postgrey.schweikert.ch/help/%r.html'"),
    Case("local-policy-bare-550", "550 Rejected by local policy", KEEP,
         "RFC 5321 4.2.2: 550 covers 'command rejected for policy reasons'; Sendmail guesses 5.1.1 for it"),
    Case("quota-under-5.1.1", "550 5.1.1 <a@example.info>: Mailbox quota exceeded", KEEP,
         "Dovecot LMTP 'Mailbox quota exceeded' under a sloppy X.1.1 (RFC 3463 X.2.2 is the code)"),
    # --- more sender-side, client and DNS wordings --------------------------------------------
    Case("postfix-550-5.1.1-unlisted-sender-relay-rewrite", "550 5.1.1 <news@sender.example>: Sender address rejected: User unknown in virtual mailbox table", KEEP,
         "Postfix postconf(5) reject_unlisted_sender against virtual_mailbox_maps, with a relay's 5.1.1"),
    Case("exchange-501-5.1.7-invalid-address", "501 5.1.7 Invalid address", KEEP,
         "Exchange Server MAIL FROM reply '501 5.1.7 Invalid address' (RFC 3463 X.1.7: the sender's address)"),
    Case("exchange-550-5.7.1-send-as", "550 5.7.1 Client does not have permissions to send as this sender", KEEP,
         "learn.microsoft.com Exchange NDR 5.7.1 'Client does not have permissions to send as this sender'"),
    Case("postfix-554-client-unknown-access-denied", "554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied", KEEP,
         "Postfix check_client_access REJECT; 'unknown' is smtpd's name for a client without reverse DNS"),
    Case("policyd-spf-unknown", "550 5.7.23 <a@example.info>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=news@sender.example;ip=192.0.2.1;r=<UNKNOWN>", KEEP,
         "pypolicyd-spf (policyd-spf) reject text, 'r=<UNKNOWN>' the receiver name it fills in"),
    Case("policyd-spf-unknown-under-5.1.1", "550 5.1.1 <a@example.info>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=news@sender.example;ip=192.0.2.1;r=<UNKNOWN>", KEEP,
         "pypolicyd-spf reject text under a sloppy 5.1.1 (RFC 7208 8.4 recommends 5.7.1)"),
    Case("exim-451-could-not-complete-sender-verify", "451 Could not complete sender verify", KEEP,
         "Exim verify = sender deferral: 'Could not complete sender verify'"),
    Case("sendmail-host-name-lookup-failure", "Name server: example.info.: host name lookup failure", KEEP,
         "Sendmail deliver.c/domain.c h_errno TRY_AGAIN: 'host name lookup failure' (4.4.3)"),
    Case("postfix-malformed-name-server-reply", "Host or domain name not found. Name service error for name=example.info type=MX: Malformed or unexpected name server reply", KEEP,
         "Postfix dns_lookup.c NO_RECOVERY: 'Malformed or unexpected name server reply' (a broken answer, not NXDOMAIN)"),
    Case("postfix-451-temporary-lookup-failure", "451 4.3.0 <a@example.info>: Temporary lookup failure", KEEP,
         "Postfix smtpd_check.c: a table lookup that failed, '451 4.3.0 Temporary lookup failure'"),
    Case("postfix-454-relay-access-denied", "454 4.7.1 <a@example.info>: Relay access denied", KEEP,
         "Postfix postconf(5) defer_unauth_destination"),
    Case("dovecot-500-unknown-command", "500 5.5.1 Unknown command", KEEP,
         "Dovecot lib-smtp smtp-server-command.c: '500 5.5.1 Unknown command'"),
    Case("exchange-500-5.3.3-unrecognized-command", "500 5.3.3 Unrecognized command", KEEP,
         "learn.microsoft.com Exchange NDR '500 5.3.3 Unrecognized command'"),
    Case("fml-not-a-member-under-5.1.1", "550 5.1.1 You are not a member of this mailing list", KEEP,
         "fml 'You are not a member of this mailing list' under a sloppy 5.1.1"),
    Case("sendmail-550-relaying-denied-ip-name-lookup", "550 5.7.1 <a@example.info>... Relaying denied. IP name lookup failed [192.0.2.1]", KEEP,
         "Sendmail cf/m4/proto.m4 check_rcpt: 'Relaying denied. IP name lookup failed [$&{client_addr}]' (our PTR)"),
    Case("sendmail-550-relaying-denied-ip-name-forged", "550 5.7.1 <a@example.info>... Relaying denied. IP name possibly forged [192.0.2.1]", KEEP,
         "Sendmail cf/m4/proto.m4 check_rcpt: 'Relaying denied. IP name possibly forged [$&{client_addr}]'"),
    Case("rfc3463-554-5.3.2-not-accepting-network-messages", "554 5.3.2 System not accepting network messages", KEEP,
         "RFC 3463 3.4 X.3.2: 'imminent shutdown, excessive load, or system maintenance': the host, for now, not the address"),
    Case("rfc7505-550-5.7.27-sender-null-mx", "550 5.7.27 Sender address has null MX", KEEP,
         "RFC 7505 4.2 / IANA X.7.27 'Sender address has null MX': our envelope sender's domain"),
    Case("exim-501-sender-must-contain-domain", "501 <news>: sender address must contain a domain", KEEP,
         "Exim smtp_in.c MAIL FROM: 'sender address must contain a domain'"),
    Case("sloppy-550-5.1.1-relay-access-denied", "550 5.1.1 <a@example.info>: Relay access denied", KEEP,
         "Postfix reject_unauth_destination text under a relay's 5.1.1"),
    # --- a provider's own sender-side 5.1.X, from its own host ------------------------------
    Case("gmail-553-5.1.7-sender-not-rfc5321", "553-5.1.7 The sender address <news@sender.example> is not a valid RFC 5321 address. - gsmtp", KEEP,
         "support.google.com/a/answer/3726730: '553 5.1.7 The sender address <address> is not a valid RFC 5321 address'",
         rcpt="a@gmail.com", host="gmail-smtp-in.l.google.com"),
    Case("m365-550-5.1.8-bad-outbound-sender", "550 5.1.8 Access denied, bad outbound sender", KEEP,
         "learn.microsoft.com Exchange Online NDR 5.1.8", rcpt="a@example.com", host="example-com.mail.protection.outlook.com"),
    Case("m365-550-5.1.90-daily-recipient-limit", "550 5.1.90 Your message can't be sent because you've reached your daily limit for message recipients", KEEP,
         "learn.microsoft.com Exchange Online NDR 5.1.90", rcpt="a@example.com", host="example-com.mail.protection.outlook.com"),
    Case("yandex-553-5.7.1-not-owned", "553 5.7.1 Sender address rejected: not owned by auth user.", KEEP,
         "Yandex SMTP '553 5.7.1 Sender address rejected: not owned by auth user' (yandex.com/support/mail)",
         rcpt="a@yandex.ru", host="mx.yandex.ru"),
    Case("aol-554-rly-sn", "554 RLY:SN", KEEP,
         "AOL's RLY:SN 'sending using a disallowed AOL.COM screenname as your FROM' (wordtothewise.com/2012/08/aol-bounces-and-false-positives, quoting AOL's error page): our From"),
    Case("msa-550-sender-not-valid-for-login", "550 5.7.1 Sender address is not valid for your login", KEEP,
         "RFC 6409 6.1 Sender Validation: a submission server refusing a MAIL FROM the authenticated user may not use"),
    Case("sender-verify-unable-under-5.1.1", "550 5.1.1 Unable to verify sender address", KEEP,
         "RFC 5321 3.3 (the reverse-path may be verified) under a sloppy 5.1.1: the sender's address checked"),
    Case("exim-unrouteable-sender", "550 Unrouteable sender address", KEEP,
         "Exim verify = sender: the envelope sender's domain does not route (Exim's 'Unrouteable address' for the sender)"),
    Case("no-mx-for-sender-domain", "550 No MX record found for sender domain", KEEP,
         "RFC 5321 3.3/5.1: the sender's domain has no mail host; RFC 7505 null-MX reasoning for the reverse path"),
    # --- still being retried ------------------------------------------------------------------
    Case("postfix-450-4.1.1-delayed", "450 4.1.1 <a@example.info>: Recipient address rejected: User unknown in local recipient table", KEEP,
         "Postfix unknown_local_recipient_reject_code 450 (soft_bounce), RFC 3464 2.3.3 Action: delayed: still retried", action="delayed"),
    Case("postfix-450-4.1.2-delayed", "450 4.1.2 <a@example.info>: Recipient address rejected: Domain not found", KEEP,
         "Postfix reject_unknown_recipient_domain with a temporary DNS answer, Action: delayed", action="delayed"),

    # === the reverse set: dead addresses and domains, which must stay NOW ======================
    Case("postfix-550-5.1.1-local-table", "550 5.1.1 <a@example.info>: Recipient address rejected: User unknown in local recipient table", NOW,
         "Postfix postconf(5) local_recipient_maps, unknown_local_recipient_reject_code 550"),
    Case("postfix-550-5.1.1-relay-table", "550 5.1.1 <a@example.info>: Recipient address rejected: User unknown in relay recipient table", NOW,
         "Postfix ADDRESS_CLASS_README relay_recipient_maps: the relay knows the domain's users"),
    Case("postfix-550-5.1.1-virtual-table", "550 5.1.1 <a@example.info>: Recipient address rejected: User unknown in virtual mailbox table", NOW,
         "Postfix postconf(5) virtual_mailbox_maps"),
    Case("postfix-550-5.1.1-unverified-recipient", "550 5.1.1 <a@example.info>: Recipient address rejected: undeliverable address: host mx2.example.info[192.0.2.8] said: 550 5.1.1 <a@example.info>: User unknown", NOW,
         "Postfix ADDRESS_VERIFICATION_README reject_unverified_recipient: the recipient's own probe failed"),
    Case("postfix-local-unknown-user", "unknown user: \"a\"", NOW,
         "Postfix local(8) (local/unknown.c): 'unknown user: \"%s\"' (5.1.1)"),
    Case("postfix-nxdomain", "Host or domain name not found. Name service error for name=example.info type=A: Host not found", NOW,
         "Postfix dns_lookup.c HOST_NOT_FOUND/NXDOMAIN: 'Host not found' (5.4.4 or 5.1.2), no 'try again'"),
    Case("sendmail-550-5.1.1-user-unknown", "550 5.1.1 <a@example.info>... User unknown", NOW,
         "Sendmail 'User unknown' (RFC 3463 X.1.1)"),
    Case("sendmail-550-5.1.2-host-unknown", "550 5.1.2 <a@example.info>... Host unknown (Name server: example.info: host not found)", NOW,
         "Sendmail deliver.c 'Host unknown (Name server: %s: host not found)'"),
    Case("exim-550-unrouteable", "550 Unrouteable address", NOW,
         "Exim default configure acl_check_rcpt 'require verify = recipient': 'Unrouteable address'"),
    Case("qmail-no-mailbox", "Sorry, no mailbox here by that name. (#5.1.1)", NOW,
         "qmail-local.c / qmail-send: 'Sorry, no mailbox here by that name. (#5.1.1)'"),
    Case("qmail-no-host", "Sorry, I couldn't find any host named example.info. (#5.1.2)", NOW,
         "qmail-remote.c: 'Sorry, I couldn't find any host named %s. (#5.1.2)'"),
    Case("gmail-dns-nxdomain", "DNS Error: DNS type 'mx' lookup of example.info responded with code NXDOMAIN", NOW,
         "Gmail's DNS-error bounce wording; RFC 1035 RCODE 3 NXDOMAIN: the name does not exist"),
    Case("exchange-550-5.1.10-recipient-not-found", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient a@example.info not found by SMTP address lookup", NOW,
         "learn.microsoft.com Exchange Online NDR 5.1.10"),
    Case("dovecot-550-user-doesnt-exist", "550 5.1.1 <a@example.info> User doesn't exist: a@example.info", NOW,
         "Dovecot LMTP 'User doesn't exist: %s'"),
    Case("rfc5321-551-user-not-local", "551 User not local; please try <a@example.org>", NOW,
         "RFC 5321 4.2.2 / 3.4: 551 'User not local; please try <forward-path>'"),
    Case("rfc7505-556-null-mx", "556 5.1.10 Recipient address has null MX", NOW,
         "RFC 7505 4.2 / RFC 7504: the recipient's domain accepts no mail"),
    Case("postfix-550-5.1.2-recipient-domain", "550 5.1.2 <a@example.info>: Recipient address rejected: Domain not found", NOW,
         "Postfix postconf(5) reject_unknown_recipient_domain (NXDOMAIN)"),
    Case("rfc3463-553-5.1.3-bad-syntax", "553 5.1.3 <a@@example.info>... Invalid route address", NOW,
         "Sendmail parseaddr.c 'Invalid route address' (RFC 3463 X.1.3 bad destination mailbox address syntax)"),
    Case("gmail-553-5.1.2-not-rfc5321", "553 5.1.2 The recipient address <a@example.info> is not a valid RFC 5321 address.", NOW,
         "support.google.com/a/answer/3726730 Gmail '553 5.1.2 The recipient address <address> is not a valid RFC 5321 address'"),
    Case("mimecast-550-invalid-recipient", "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550", NOW,
         "Mimecast SMTP error codes: '550 Invalid Recipient'"),
    Case("cpanel-exim-550-no-such-user-here", "550 No Such User Here", NOW,
         "cPanel Exim ACL 'No Such User Here' (docs.cpanel.net)"),
    Case("vpopmail-no-mailbox", "Sorry, no mailbox here by that name. vpopmail (#5.1.1)", NOW,
         "vpopmail vdelivermail.c: 'Sorry, no mailbox here by that name. vpopmail (#5.1.1)'"),
    Case("rfc5321-553-mailbox-name-not-allowed", "553 Requested action not taken: mailbox name not allowed", NOW,
         "RFC 5321 4.2.2 reply 553 text, refused at RCPT"),
    Case("postfix-nullmx", "Domain example.info does not accept mail (nullMX)", NOW,
         "Postfix smtp_connect.c RFC 7505 null MX: 'Domain %s does not accept mail (nullMX)' (5.1.0)"),
    Case("rfc7504-521-does-not-accept-mail", "521 5.3.2 mx.example.info does not accept mail", NOW,
         "RFC 7504 section 3: 521 'Host does not accept mail'"),
    Case("postfix-550-5.1.1-with-sender-named", "550 5.1.1 <a@example.info>: Recipient address rejected: User unknown in local recipient table; from=<news@sender.example> to=<a@example.info> proto=ESMTP helo=<mta.sender.example>", NOW,
         "Postfix smtpd reject log form (from=/to= appended), quoted by some gateways: names our sender too, the recipient is the unknown one"),
    Case("gmail-553-5.1.3-recipient-not-rfc5321", "553-5.1.3 The recipient address <a@gmail.com> is not a valid RFC 5321 address. - gsmtp", NOW,
         "support.google.com/a/answer/3726730: '553 5.1.3 The recipient address <address> is not a valid RFC 5321 address'",
         rcpt="a@gmail.com", host="gmail-smtp-in.l.google.com"),
    Case("m365-550-5.4.1-dbeb", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", NOW,
         "learn.microsoft.com Exchange Online NDR 5.4.1 (Directory-Based Edge Blocking)", rcpt="a@example.com", host="example-com.mail.protection.outlook.com"),
]


def _reply(text: str) -> str | None:
    return (m.group(0) if (m := re.match(r"[45]\d\d", text)) else None)


def _remote_status(text: str) -> str:
    m = re.search(r"(?<![\w.])[45]\.\d{1,3}\.\d{1,3}(?![\w.])", text)
    if m:
        return m.group(0)
    reply = _reply(text)
    return f"{reply[0]}.0.0" if reply else "5.0.0"


def dsn(case: Case, status: str, *, sendmail: bool = False) -> bytes:
    """An RFC 3464 report of a refusal at RCPT; ``sendmail``: Sendmail's notice with its
    transcript and its own closing "... User unknown" summary line (deliver.c/savemail.c)."""
    if sendmail:
        notice = f"""   ----- The following addresses had permanent fatal errors -----
<{case.rcpt}>
    (reason: {case.text})

   ----- Transcript of session follows -----
... while talking to {case.host}.:
>>> RCPT To:<{case.rcpt}>
<<< {case.text}
550 5.1.1 <{case.rcpt}>... User unknown"""
    else:
        notice = f"<{case.rcpt}>: host {case.host}[192.0.2.9] said: {case.text} (in reply to RCPT TO command)"
    return f"""From: MAILER-DAEMON@mta.sender.example
To: {SENDER}
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

{notice}

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mta.sender.example

Final-Recipient: rfc822; {case.rcpt}
Action: {case.action}
Status: {status}
Remote-MTA: dns; {case.host}
Diagnostic-Code: smtp; {case.text}

--B
Content-Type: message/rfc822

From: {SENDER}
To: {case.rcpt}
Subject: hello

hello
--B--
""".encode()


def exim_notice(case: Case) -> bytes:
    """Exim's plain-text bounce (deliver.c): the reply under 'SMTP error from remote mail server
    after RCPT TO:<a>:'. A delayed row is Exim's warning ("has not yet been delivered")."""
    if case.action == "delayed":
        subject, lead = "Warning: message delayed", ("This message was created automatically by mail delivery software.\n"
                                                     "A message that you sent has not yet been delivered to one or more of its\n"
                                                     "recipients after more than 24 hours on the queue on mta.sender.example.\n\n"
                                                     "No action is required on your part. Delivery attempts will continue for\n"
                                                     "some time, and this warning may be repeated at intervals if the message\n"
                                                     "remains undelivered. Eventually the mail delivery software will give up,\n"
                                                     "and when that happens, the message will be returned to you.\n\n"
                                                     "The message identifier is:     1abcde-000001-AB\n\nThe address(es) are:")
    else:
        subject, lead = "Mail delivery failed: returning message to sender", (
            "This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its\n"
            "recipients. This is a permanent error. The following address(es) failed:")
    return f"""From: Mail Delivery System <Mailer-Daemon@mta.sender.example>
To: {SENDER}
Subject: {subject}
X-Failed-Recipients: {case.rcpt}

{lead}

  {case.rcpt}
    host {case.host} [192.0.2.9]
    SMTP error from remote mail server after RCPT TO:<{case.rcpt}>:
    {case.text}

------ This is a copy of the message, including all the headers. ------

From: {SENDER}
To: {case.rcpt}
Subject: hello

hello
""".encode()


def envelopes(case: Case) -> dict[str, bytes]:
    cls = (_reply(case.text) or _remote_status(case.text))[0]
    return {
        "dsn, remote status": dsn(case, _remote_status(case.text)),
        "dsn, class-only status": dsn(case, f"{cls}.0.0"),
        "sendmail dsn, 5.1.1 guessed": dsn(case, "4.1.1" if case.action == "delayed" else "5.1.1", sendmail=True),
        "exim notice": exim_notice(case),
    }


def decision(raw: bytes, rcpt: str) -> tuple[str, str, str]:
    """(NOW or KEEP, reason, kind) for the recipient; a notice that yields no recipient keeps."""
    got = [r for r in parse_message(raw).recipients if r.recipient.lower() == rcpt]
    if not got:
        return KEEP, "-", "-"
    rec = got[0]
    return (NOW if rec.kind in ("hard", "complaint") else KEEP), rec.reason, rec.kind


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_false_now(case: Case) -> None:
    wrong = []
    for how, raw in envelopes(case).items():
        got, reason, kind = decision(raw, case.rcpt)
        if got != case.expected:
            wrong.append(f"{how}: {got} ({reason}, {kind})")
    assert not wrong, f"{case.text!r} expected {case.expected}: " + "; ".join(wrong)


def audit() -> None:
    """Print every wrong decision and the counts (python -m tests.test_false_now)."""
    false_now = missed_now = total = 0
    texts_fn, texts_mn = set(), set()
    for case in CASES:
        for how, raw in envelopes(case).items():
            total += 1
            got, reason, kind = decision(raw, case.rcpt)
            if got != case.expected:
                print(f"{case.expected:4} {case.id:45} {how:28} -> {got} {reason} {kind}")
                if case.expected == KEEP:
                    false_now += 1
                    texts_fn.add(case.id)
                else:
                    missed_now += 1
                    texts_mn.add(case.id)
    keep = sum(c.expected == KEEP for c in CASES)
    print(f"false NOW {false_now} ({len(texts_fn)} of {keep} KEEP texts); missed NOW {missed_now} "
          f"({len(texts_mn)} of {len(CASES) - keep} NOW texts); {total} decisions over {len(CASES)} texts")


if __name__ == "__main__":
    audit()
