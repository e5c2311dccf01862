"""Receiver-specific wording: what a large mailbox provider's own codes and sentences mean.

A receiver is picked by the remote MTA's host name, the recipient's domain, or a marker its replies
always carry (a help-page host, Google's ``gsmtp`` tag). Its rows are consulted before the general
phrase table because the same words can mean something else elsewhere (KDDI's ``550 : User unknown``
is its content filter; Facebook's ``RCP-P2`` is the recipient's preferences).

``RECEIVERS``: ``(name, host suffixes, recipient domains, markers in the diagnostic, note)``.
``RECEIVER_ROWS``: ``(name, reason, pattern, note)``; ``pattern`` is a lower-case regular
expression searched in ``"<status> <diagnostic>"`` (lower-cased, white space collapsed), so a row
can key on the status code (``^5\\.7\\.26 ``), a provider code (``tss04``) or wording.
"""
from __future__ import annotations

RECEIVERS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], str], ...] = (
    ("google", ("google.com", "googlemail.com", "gmail.com"), ("gmail.com", "googlemail.com"),
     ("gsmtp", "support.google.com/mail", "support.google.com/a/"), "Gmail / Google Workspace MX hosts"),
    ("yahoo", ("yahoodns.net", "yahoo.com", "aol.com", "yahoo.net"),
     ("yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "rocketmail.com", "aol.com", "aim.com"),
     ("yahooinc.com", "verizonmedia.com", "postmaster.yahoo.com", "postmaster.aol.com", "postmaster.info.aol.com"),
     "Yahoo Inc. (Yahoo Mail, AOL) MX hosts"),
    ("microsoft", ("outlook.com", "hotmail.com", "protection.outlook.com", "exchangelabs.com", "onmicrosoft.com", "live.com"),
     ("outlook.com", "hotmail.com", "live.com", "msn.com", "hotmail.co.uk", "hotmail.fr", "outlook.jp"),
     ("postmaster.live.com", "protection.outlook.com", "sender.office.com", "prod.outlook.com"),
     "Outlook.com / Office 365 / Exchange Online"),
    ("apple", ("mail.icloud.com", "apple.com", "me.com", "icloud.com"), ("icloud.com", "me.com", "mac.com"),
     ("support.apple.com",), "Apple iCloud Mail MX hosts"),
    ("cox", ("cox.net", "cloudfilter.net"), ("cox.net",), ("cox.com/residential/support",),
     "Cox Communications (inbound filtering on cloudfilter.net)"),
    ("orange", ("orange.fr", "wanadoo.fr", "laposte.net"), ("orange.fr", "wanadoo.fr", "laposte.net"),
     (), "Orange (ex France Telecom) and La Poste MX hosts"),
    ("kddi", ("ezweb.ne.jp", "au.com"), ("ezweb.ne.jp", "au.com", "biz.ezweb.ne.jp", "uqmobile.jp"), (),
     "KDDI au / UQ mobile MX hosts (lsean.ezweb.ne.jp, msmx.au.com)"),
    ("docomo", ("docomo.ne.jp",), ("docomo.ne.jp",), (), "NTT docomo MX hosts (mfsmax.docomo.ne.jp)"),
    ("facebook", ("facebook.com", "fb.com"), ("facebook.com",), ("postmaster.facebook.com",), "Facebook MX hosts"),
    ("mimecast", ("mimecast.com",), (), ("mimecast",), "Mimecast email security gateway"),
    ("messagelabs", ("messagelabs.com",), (), ("messagelabs",), "Symantec/Broadcom Email Security.cloud (MessageLabs)"),
    ("tencent", ("qq.com",), ("qq.com", "foxmail.com", "vip.qq.com"), ("service.mail.qq.com",), "Tencent QQ Mail MX hosts"),
    ("mailru", ("mail.ru",), ("mail.ru", "bk.ru", "inbox.ru", "list.ru"), ("help.mail.ru",), "Mail.Ru MX hosts"),
    ("gmx", ("gmx.net", "gmx.com", "web.de", "mail.com"), ("gmx.net", "gmx.de", "gmx.com", "web.de", "mail.com"),
     ("postmaster.gmx", "postmaster.web.de"), "GMX / WEB.DE / mail.com (1&1 Mail & Media)"),
)

RECEIVER_ROWS: tuple[tuple[str, str, str, str], ...] = (
    # Gmail SMTP error reference: support.google.com/a/answer/3726730
    ("google", "auth_failure", r"^[45]\.7\.(?:2[3467]|3[02]) |unauthenticated email|not accepted due to domain's dmarc policy|authenticate with (?:either )?(?:spf|dkim)", "Gmail 5.7.26/4.7.26 'Unauthenticated email ... DMARC policy', 4.7.27/4.7.30 'senders to authenticate with SPF/DKIM'"),
    ("google", "bad_reputation", r"very low reputation of the sending", "Gmail 421 4.7.0 / 550 5.7.1 'very low reputation of the sending IP address/domain'"),
    ("google", "blocked", r"unusual rate of (?:unsolicited )?mail|ip not in whitelist for rcpt domain|not authorized to send email directly to our servers", "Gmail 421 4.7.28 / 550 5.7.1 'unusual rate of unsolicited mail originating from your IP'"),
    ("google", "suspend", r"account that you tried to reach is (?:disabled|inactive)|^5\.2\.1 .*(?:disabled|inactive)", "Gmail 550 5.2.1 'The email account that you tried to reach is disabled' (?p=DisabledUser)"),
    ("google", "mailbox_full", r"out of storage space|over quota|email quota exceeded", "Gmail 452 4.2.2 / 552 5.2.2 'The recipient's inbox is out of storage space' (?p=OverQuotaTemp)"),
    ("google", "speeding", r"receiving mail (?:too quickly|at a rate)|relay limit exceeded|daily (?:user )?sending (?:quota|limit) exceeded|has been rate limited", "Gmail 450 4.2.1 'user you are trying to contact is receiving mail too quickly'"),
    ("google", "user_unknown", r"account that you tried to reach does not exist|^5\.1\.1 ", "Gmail 550 5.1.1 'The email account that you tried to reach does not exist' (?p=NoSuchUser)"),
    ("google", "spam_detected", r"likely unsolicited mail|nature of the content or the links", "Gmail 550 5.7.1 'likely unsolicited mail' (?p=UnsolicitedMessageError)"),
    ("google", "require_ptr", r"ptr record|pointer \(ptr\)|ipv6 sending guidelines", "Gmail 550 5.7.25 'does not have a PTR record setup'"),
    ("google", "not_compliant_rfc", r"rfc ?5322|multiple addresses in from|missing a valid (?:address in the from|message-id)|encoded-word syntax|unicode character in a disallowed header", "Gmail 550 5.7.1 (?p=RfcMessageNonCompliant)"),
    ("google", "policy_violation", r"illegal attachment|content presents a potential|has a policy that prohibited", "Gmail 552 5.7.0 'blocked because its content presents a potential security issue' (?p=BlockedMessage)"),
    ("google", "message_too_big", r"exceeded google's message size|exceeds google's message size", "Gmail 552 5.3.4 'Your message exceeded Google's message size limits' (?p=MaxSizeError)"),
    ("google", "too_many_conn", r"too many recipients", "Gmail 452 4.5.3 'Your message has too many recipients' (?p=TooManyRecipientsError)"),
    # Yahoo SMTP error codes: senders.yahooinc.com/smtp-error-codes
    ("yahoo", "blocked", r"\[tss0[1-3]\]|\[bl2\d\]|spamhaus|\[rtr:bl\]|rtr:bl|hvu:b1|dyn:t1|\[ph0[1-9]\].*ip", "Yahoo/AOL [BL21]/[BL23] Spamhaus listings, AOL RTR:BL / HVU:B1 / DYN:T1 (postmaster.aol.com error codes)"),
    ("yahoo", "rejected", r"\[tss04\]|\[tss0[59]\]|\[tss1[01]\]|temporarily deferred due to unexpected volume or user complaints|will be permanently deferred|unresolvable rfc\.?5321", "Yahoo 421 4.7.0 [TSS04] 'temporarily deferred due to unexpected volume or user complaints', 553 5.7.2 [TSS09]"),
    ("yahoo", "auth_failure", r"sender is unauthenticated|authenticate with either spf or dkim|dmarc", "Yahoo 550 5.7.9 'blocked because the sender is unauthenticated'"),
    ("yahoo", "policy_violation", r"not accepted for policy reasons|\[ph01\]", "Yahoo 554 5.7.9 'Message not accepted for policy reasons'"),
    ("yahoo", "user_unknown", r"dd this user doesn't have a|mailbox not found|user doesn't have a \S+ account", "Yahoo 554 'delivery error: dd This user doesn't have a yahoo.com account'"),
    ("yahoo", "suspend", r"is no longer valid|this mailbox is disabled", "Yahoo 554 'dd ... is no longer valid', AOL 554.30 'This mailbox is disabled'"),
    ("yahoo", "speeding", r"receiving mail too quickly", "Yahoo 450 'User is receiving mail too quickly'"),
    ("yahoo", "too_many_conn", r"max message per connection", "Yahoo 421 'Max message per connection reached'"),
    # Exchange Online NDRs: learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online
    ("microsoft", "blocked", r"\(s3150\)|\(s3140\)|banned sending ip|banned sender|block list|blocked by the recipient's organization|using customer block list|access denied, bad helo|rejected by recipient", "Outlook.com S3150 'part of their network is on our block list', Exchange Online 5.7.606 'banned sending IP'"),
    ("microsoft", "bad_reputation", r"due to ip reputation|\(s3113\)|\(s775\)|\(s844\)", "Outlook.com 4.7.650 'temporarily rate limited due to IP reputation' (S3113/S775)"),
    ("microsoft", "auth_failure", r"does not pass dmarc|sender policy framework|spf|must pass either spf or dkim|required authentication level", "Exchange Online 5.7.509 DMARC, 5.7.23 SPF, 5.7.515 authentication level"),
    ("microsoft", "user_unknown", r"recipnotfound|recipientnotfound|^5\.4\.1 .*access denied|recipient address rejected: access denied|address couldn't be found|^5\.1\.10 ", "Exchange Online 550 5.4.1 'Recipient address rejected: Access denied' (Directory-Based Edge Blocking), 5.1.10 RecipientNotFound"),
    ("microsoft", "network_error", r"dns query failed|^5\.4\.312 ", "Exchange Online 5.4.312 'Message expired, DNS query failed'"),
    ("microsoft", "expired", r"^[45]\.4\.(?:300|316|7) |message expired", "Exchange Online 5.4.300/5.4.316 'Message expired'"),
    ("microsoft", "speeding", r"tenant has exceeded|exceeded .*sending (?:limit|quota)|^5\.7\.70[0-9] |^5\.7\.750 ", "Exchange Online 5.7.700-750 tenant/sender sending limits"),
    # Apple iCloud: support.apple.com/en-us/102322 (Mail postmaster information)
    ("apple", "auth_failure", r"dmarc|spf|dkim", "iCloud 554 5.7.1 'Your message was rejected due to ... DMARC policy' (support.apple.com HT204137)"),
    ("apple", "blocked", r"esmtp not accepting connections|blocked|blacklist|block list|hostname lookup failed", "iCloud '554 ... ESMTP not accepting connections'"),
    ("apple", "mailbox_full", r"over quota|mailbox full", "iCloud 552 5.2.2 'user is over quota'"),
    ("apple", "user_unknown", r"user unknown|no such user|user does not exist", "iCloud 550 5.1.1 'user does not exist'"),
    # Cox error codes: cox.com/residential/support/email-error-codes.html ("AUP#..." labels)
    ("cox", "blocked", r"aup#(?:cxbl|cdrbl|ipbl\d+)|too many bad commands|too many invalid recipients", "Cox AUP#CXBL / AUP#CDRBL / AUP#IPBLxxxx: sending IP blocked"),
    ("cox", "require_ptr", r"aup#cxdns|rejected - no rdns|dns check failure", "Cox AUP#CXDNS: reverse DNS of the sending IP fails"),
    ("cox", "auth_failure", r"aup#cxsndr", "Cox AUP#CXSNDR: sender domain fails SPF/DKIM"),
    ("cox", "rejected", r"aup#cxsmtp", "Cox AUP#CXSMTP: SMTP protocol violation, sender not verified"),
    ("cox", "too_many_conn", r"aup#cx(?:cnct|mxrt)|too many sessions from|message threshold exceeded", "Cox AUP#CXCNCT / AUP#CXMXRT connection and recipient limits"),
    ("cox", "spam_detected", r"aup#urlbl\d+", "Cox AUP#URLBLxxx: URL in the body on a blocklist"),
    ("cox", "user_unknown", r"recipient rejected", "Cox 'recipient rejected': not a valid Cox Email account"),
    # Orange / La Poste: postmaster error codes OFR_xxx / LPNxxx_yyy (smtpfieldmanual.com/provider/orange)
    ("orange", "blocked", r"(?:ofr|lpn)\w*_(?:101|102|103|510|999)\b", "Orange/La Poste 101-103, 510, 999: sending IP blocked (RBL, spam incident)"),
    ("orange", "too_many_conn", r"(?:ofr|lpn)\w*_104\b", "Orange/La Poste 104 'Too many connections, slow down'"),
    ("orange", "auth_failure", r"(?:ofr|lpn)\w*_(?:401|517)\b|spf/dns de votre nom de domaine", "Orange/La Poste 401 SPF, 517 DMARC verification failed"),
    ("orange", "security_error", r"(?:ofr|lpn)\w*_(?:305|402)\b", "Orange/La Poste 305/402 authentication required/invalid"),
    ("orange", "rejected", r"(?:ofr|lpn)\w*_(?:403|405|415|421)\b", "Orange/La Poste 403/405/415 'Emetteur invalide. Invalid Sender', 421 'Mail from not owned by user'"),
    ("orange", "user_unknown", r"(?:ofr|lpn)\w*_416\b", "Orange/La Poste 416 'Adresse d au moins un destinataire invalide. Invalid recipient'"),
    ("orange", "mailbox_full", r"(?:ofr|lpn)\w*_417\b", "Orange 417 'Boite du destinataire pleine. Recipient overquota'"),
    ("orange", "suspend", r"(?:ofr|lpn)\w*_(?:420|426)\b", "La Poste 420 'Boite du destinataire archivee', 426 'recipient account is blocked'"),
    ("orange", "undefined", r"(?:ofr|lpn)\w*_(?:105|107|108|109|201|423|424)\b", "Orange/La Poste 105-109, 201, 423, 424 'Service refused, please try later': the code gives no reason"),
    ("orange", "system_error", r"(?:ofr|lpn)\w*_505\b", "Orange 505 'Service refuse. Veuillez essayer plus tard'"),
    ("orange", "spam_detected", r"(?:ofr|lpn)\w*_506\b", "Orange 506 'Mail rejete. Mail rejected'"),
    ("orange", "message_too_big", r"(?:ofr|lpn)\w*_514\b", "Orange 514 'Taille limite du message atteinte'"),
    ("orange", "policy_violation", r"(?:ofr|lpn)\w*_630\b", "La Poste 630 'Client host rejected'"),
    # KDDI au: au.com/support/service/internet/trouble/mail/01/
    ("kddi", "filtered", r"550(?::? :)? user unknown", "KDDI '550 : User unknown' / '550 User unknown' (no address) is the recipient's reception filter"),
    ("kddi", "user_unknown", r">: user unknown", "KDDI '550 <addr>: User unknown': the address does not exist"),
    # NTT docomo: '550 Unknown user' after DATA is its domain/reception filter
    ("docomo", "filtered", r"^5\.2\.0 .*unknown user", "NTT docomo Status 5.2.0 '550 Unknown user' at DATA: reception filter"),
    ("docomo", "mailbox_full", r"552 too much mail data", "NTT docomo '552 too much mail data': mailbox full"),
    ("docomo", "too_many_conn", r"552 too many recipients", "NTT docomo '552 Too many recipients'"),
    ("docomo", "user_unknown", r"550 unknown user", "NTT docomo '550 Unknown user' at RCPT"),
    # Facebook response codes: postmaster.facebook.com/response_codes
    ("facebook", "user_unknown", r"\b(?:rcp-p1|int-p[134])\b", "Facebook RCP-P1/INT-P1: the recipient address does not exist"),
    ("facebook", "filtered", r"\brcp-p[23]\b", "Facebook RCP-P2/RCP-P3: recipient's preferences/privacy settings"),
    ("facebook", "suspend", r"\brcp-t4\b", "Facebook RCP-T4: recipient address deactivated"),
    ("facebook", "system_error", r"\brcp-t1\b", "Facebook RCP-T1: internal system issue"),
    ("facebook", "blocked", r"\bpol-(?:p[1-4]|t[1-3])\b", "Facebook POL-P1..P4/POL-T1..T3: not accepting mail from your server"),
    ("facebook", "virus_detected", r"\bpol-p5\b", "Facebook POL-P5: the message contains a virus"),
    ("facebook", "spam_detected", r"\bpol-p[67]\b", "Facebook POL-P6/P7: blocked URL / abuse policies"),
    ("facebook", "message_too_big", r"\b(?:msg-p1|int-p2)\b", "Facebook MSG-P1/INT-P2: exceeds the maximum allowed size"),
    ("facebook", "content_error", r"\bmsg-p2\b", "Facebook MSG-P2: attachment type not accepted"),
    ("facebook", "not_compliant_rfc", r"\bmsg-p3\b", "Facebook MSG-P3: multiple instances of a single-instance header"),
    ("facebook", "rejected", r"\bdns-(?:p[12]|t1)\b", "Facebook DNS-P1/P2/T1: MAIL FROM domain does not exist/resolve"),
    ("facebook", "require_ptr", r"\bdns-(?:p3|t2)\b", "Facebook DNS-P3/T2: no reverse DNS record"),
    ("facebook", "too_many_conn", r"\b(?:con-t[1-4]|msg-t1)\b", "Facebook CON-T1..T4/MSG-T1: connection and recipient limits"),
    # Mimecast SMTP error codes: community.mimecast.com 'Mimecast SMTP Error Codes'
    ("mimecast", "auth_failure", r"(?:spf|dkim|dmarc) sender invalid", "Mimecast 550 'SPF/DKIM/DMARC Sender Invalid - envelope rejected'"),
    ("mimecast", "bad_reputation", r"ip reputation|internal resources are temporarily unavailable", "Mimecast 550 'Local CT IP Reputation - (reject)', 451 greylisting/reputation"),
    ("mimecast", "blocked", r"ip temporarily blacklisted|sender address blocked|recipient temporarily unavailable", "Mimecast 451 'IP temporarily blacklisted', 421 'Sender address blocked'"),
    ("mimecast", "virus_detected", r"mcspamsignature|virus signature|message contains a virus|email rejected due to security policies", "Mimecast 554 'Email rejected due to security policies - MCSpamSignature': virus or spam signature"),
    ("mimecast", "policy_violation", r"anti-spoofing policy|content examination policy|host network,? not allowed", "Mimecast 550 anti-spoofing / content examination / geographic restriction policies"),
    ("mimecast", "rejected", r"envelope blocked|envelope rejected - block policy|blocked senders", "Mimecast 550 'Administrative prohibition envelope blocked', 'Envelope blocked - User Entry'"),
    ("mimecast", "user_unknown", r"invalid recipient|invalid address|user unknown", "Mimecast 550 'Invalid Recipient': recipient validation failed"),
    ("mimecast", "message_too_big", r"maximum email size exceeded", "Mimecast 554 'Maximum email size exceeded'"),
    ("mimecast", "no_relaying", r"open relay (?:is )?not allowed", "Mimecast 451 'Open relay not allowed'"),
    ("mimecast", "too_many_conn", r"account service is temporarily unavailable|exceeding outbound thread limit|too many recipients", "Mimecast 451 concurrent connection limits, 452 'Too many recipients'"),
    # MessageLabs / Symantec Email Security.cloud
    ("messagelabs", "user_unknown", r"no such user|user unknown|\brejected\b(?!.*spam)", "MessageLabs address registration check: '550 ... No such user', '542 ... Rejected'"),
    ("messagelabs", "rejected", r"your email address has been blacklisted", "MessageLabs 'Your email address has been blacklisted'"),
    ("messagelabs", "blocked", r"blacklisted|\bblocked\b", "MessageLabs 553 'sorry, your IP address is blacklisted'"),
    # Tencent QQ Mail: service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022
    ("tencent", "auth_failure", r"dmarc check failed|spf check failed", "QQ Mail 550 'DMARC check failed' (help no=1001508)"),
    ("tencent", "mailbox_full", r"mailbox is full|space has been used up|over quota", "QQ Mail 'user's space has been used up'"),
    ("tencent", "spam_detected", r"mail content denied|spam", "QQ Mail 550 'Mail content denied' (help id=20022)"),
    ("tencent", "blocked", r"ip is (?:blocked|rejected)|connection frequency limited|ip frequency limited", "QQ Mail 'IP frequency limited' / 'connection frequency limited'"),
    ("tencent", "user_unknown", r"mailbox not found|user not exist|no such user", "QQ Mail 550 'Mailbox not found'"),
    # Mail.Ru: help.mail.ru/mail-help/postmaster
    ("mailru", "auth_failure", r"dmarc", "Mail.Ru 550 5.7.1 'not accepted due to domain ... owner DMARC policy'"),
    ("mailru", "blocked", r"dynamic ips|spam message rejected|ip is blacklisted", "Mail.Ru 'We do not accept mail from dynamic IPs'"),
    ("mailru", "user_unknown", r"user not found|no such user|mailbox not found", "Mail.Ru '550 Message was not accepted -- invalid mailbox'"),
    # GMX / WEB.DE postmaster: postmaster.gmx.net/en/error-messages
    ("gmx", "require_ptr", r"ptr resource record|c=rdns|reverse dns", "GMX '554-Bad DNS PTR resource record' (postmaster.gmx.com error-messages c=rdns)"),
    ("gmx", "blocked", r"c=(?:bl|ipbl|ip)\b|ip address is (?:black)?listed|rejected by (?:our )?blocklist", "GMX 'Nemesis ESMTP ... c=bl' blocklisted IP"),
)
