r"""Diagnostic wording -> reason, one phrase a line.

A row is ``(reason, pattern, note)``: ``pattern`` is a lower-case regular expression searched in
``"<status> <diagnostic>"`` after lower-casing and collapsing white space (a row may key on the
status with ``^5\.2\.0 ``); ``note`` names where the wording is
published or produced (an MTA's source or docs, a provider's help page, an RFC).

**Row order is the ranking**: the first matching row wins ("mailbox full" before "user unknown",
a named DNSBL before the word "spam"), and a reason ranks where its first row stands when a phrase
competes with a status code (see :mod:`bounced.classify`). Provider wording that means something
else elsewhere lives in :mod:`bounced.classify.receivers`.
"""
from __future__ import annotations

PHRASE_ROWS: tuple[tuple[str, str, str], ...] = (
    # --- mailbox_full ----------------------------------------------------------------------
    ("mailbox_full", r"mailbox (?:is )?full|mailbox_full|full mailbox", "Sendmail/Exchange 'Mailbox Full', MS Exchange STOREDRV 'mailbox full'"),
    ("mailbox_full", r"over ?quota|overquota", "Postfix virtual/Dovecot 'over quota', Courier maildrop 'overquota', Orange 'Recipient overquota'"),
    ("mailbox_full", r"quota (?:exceeded|exceed|violation)|exceeded (?:the |his |her |their )?(?:storage |mailbox |disk )?quota", "Dovecot LDA 'Quota exceeded', qmail/vpopmail 'user has exceeded quota'"),
    ("mailbox_full", r"(?:mailbox|maildir|disk|account) (?:\S+ ){0,3}quota", "Exim appendfile 'mailbox quota exceeded', Dovecot 'Mailbox quota', Yahoo 'account is over quota'"),
    ("mailbox_full", r"insufficient (?:disk |storage )?(?:space|storage)|not (?:sufficient|enough) (?:disk )?space|no space left on device", "Sendmail 452 'Insufficient disk space', POSIX ENOSPC text"),
    ("mailbox_full", r"exceeded storage allocation", "RFC 5321 4.2.2 reply 552 'Requested mail action aborted: exceeded storage allocation'"),
    ("mailbox_full", r"mailbox (?:size limit|exceeds allowed size|would exceed)|mail ?box (?:is )?over (?:the )?(?:size )?limit", "Exim 'mailbox size limit exceeded', Cyrus 'Mailbox would exceed quota'"),
    ("mailbox_full", r"out of storage space|inbox is full|mailfolder is full|boite du destinataire pleine", "Gmail 'inbox is out of storage space' (support.google.com/mail/?p=OverQuotaTemp), Orange 'Boite du destinataire pleine'"),
    ("mailbox_full", r"user has too many messages|too much mail data|space has been used up|is full and cannot accept", "NTT docomo '552 too much mail data', Tencent 'user's space has been used up'"),
    # --- message_too_big -------------------------------------------------------------------
    ("message_too_big", r"message (?:is )?too (?:large|big)|too big for system|mail (?:is )?too large|email too large", "RFC 3463 X.3.4 text 'Message too big for system', Postfix 'message file too big'"),
    ("message_too_big", r"message size exceeds|size exceeds (?:fixed )?maximum|exceeds? (?:the )?(?:maximum |fixed )?(?:message )?size limit|message size limit", "Postfix 'Message size exceeds fixed limit', Exchange 'message size exceeds fixed maximum message size'"),
    ("message_too_big", r"message file too big|max(?:imum)? (?:inbound |incoming )?message size|size limit (?:exceeded|reached)|taille limite du message|line limit exceeded", "Postfix 'message file too big', Orange 'Taille limite du message atteinte'"),
    # --- exceed_limit ----------------------------------------------------------------------
    ("exceed_limit", r"exceeds? (?:the )?(?:administrative|per-mailbox) limit|message length exceeds administrative limit|exe?ceeded the maximum size the user accepts", "RFC 3463 X.2.3 'Message length exceeds administrative limit'"),
    # --- suspend ---------------------------------------------------------------------------
    ("suspend", r"account (?:has been |is |that you tried to reach is )?(?:disabled|suspended|deactivated|frozen|locked|inactive)", "Gmail 550 5.2.1 'account that you tried to reach is disabled', generic hosting wording"),
    ("suspend", r"mailbox (?:is )?(?:disabled|suspended|frozen|inactive|deactivated|locked)|disabled (?:recipient|mailbox|user)", "i.ua 'Mailbox is frozen', Yahoo/AOL 'This mailbox is disabled (554.30)', Sendmail 'Disabled recipient address'"),
    ("suspend", r"recipient (?:address |account )?(?:is )?(?:suspended|disabled|inactive|deactivated)|user (?:account )?(?:is )?(?:suspended|disabled|deactivated)", "Common MTA/provider wording for suspended accounts"),
    ("suspend", r"boite du destinataire archivee|compte du destinataire est bloque", "Orange/La Poste 'Boite du destinataire archivee' (LPN007_420)"),
    ("suspend", r"is currently suspended|has been (?:temporarily )?suspended|mailbox currently suspended|temporar(?:il)?y (?:locked|inactive)|account is locked|archived recipient|inactive (?:account|user)|invalid/inactive user|deactivated mailbox|user is terminated|suspend the service|disabled or discontinued|no longer accepts mail|administrativ\w* disabled|user or domain is disabled|mailbox unavailable or access denied", "QQ Mail 'is a deactivated mailbox', 163.com 'User suspended', vpopmail 'account is locked', Yahoo 'This account has been disabled or discontinued'"),
    ("suspend", r" is no longer valid\.", "Yahoo '554 delivery error: dd ... is no longer valid.' (senders.yahooinc.com/smtp-error-codes)"),
    # --- has_moved -------------------------------------------------------------------------
    ("has_moved", r"recipient no longer on server|no longer (?:at|with) this (?:address|organization|company)|mailbox has moved|user has moved|address has moved", "Exchange/Courier 'recipient no longer on server', RFC 3463 X.1.6 text"),
    ("has_moved", r"user not local; please try|no forwarding address| has been replaced by ", "RFC 5321 reply 551 'User not local; please try <forward-path>', RFC 3463 X.1.6"),
    # --- not_accept ------------------------------------------------------------------------
    ("not_accept", r"null ?mx|no mx record|(?:host|domain|host/domain) does not accept mail|accepts no mail|not accepting network messages", "RFC 7505 null MX, RFC 7504 reply 556 'domain does not accept mail', Yahoo 'No mx record found for domain'"),
    ("not_accept", r"couldn't find a mail exchanger|no mail ?hosts? for|mail receiving disabled|indicated no smtp service|no host found for existing smtp connection|no route for current request|name server: \.: host not found|smtp protocol returned a permanent error", "qmail-remote 'Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)'"),
    # --- security_error: qmail's 'you don't authenticate' names relaying too ----------------
    ("security_error", r"you don't authenticate or the domain isn't in my list", "qmail-smtpd (smtp-auth patch) 553 'sorry, you don't authenticate or the domain isn't in my list of allowed rcpthosts'"),
    # --- no_relaying -----------------------------------------------------------------------
    ("no_relaying", r"relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited)|no relaying|relay not permitted|unable to relay|not (?:allowed|permitted) to relay through|as a relay|not an open relay|this system is not configured to relay|we don't handle mail for|not a gateway|relaying mail to |we do not relay|not permitted to relay|relay access denied", "Postfix 'Relay access denied', Sendmail 'Relaying denied', Exchange 'Unable to relay'"),
    ("no_relaying", r"isn't in my list of allowed rcpthosts|not in my list of allowed rcpthosts", "qmail-smtpd 553 'sorry, that domain isn't in my list of allowed rcpthosts'"),
    ("no_relaying", r"invalid credentials for relay", "Google Workspace SMTP relay 550 5.7.1 'Invalid credentials for relay' (support.google.com/a/answer/6140680)"),
    # --- auth_failure ----------------------------------------------------------------------
    ("auth_failure", r"\bdmarc\b", "RFC 7489 DMARC rejections: Gmail 5.7.26, Mail.ru, Zoho, iCloud, QQ wording"),
    ("auth_failure", r"spf (?:check|validation|verification|authentication|alignment)s? (?:fail|error|did not pass)|fail(?:ed|s|ure)? (?:to pass )?(?:the )?spf|spf (?:hard ?|soft ?)?fail|per it's spf|spf: \S+ is not allowed|spf sender invalid|spf=(?:hard)?fail|sender policy framework|bad spf records|inspect your spf settings|spf\.pobox\.com|spf check: fail|\(spf\) (?:domain authentication )?fail|spf record .{0,40}(?:not|n't) (?:allow|permit|authori[sz]e|designate)|not (?:designated|permitted|authori[sz]ed) .{0,60}\bspf\b", "RFC 7208 SPF rejections ('SPF check failed', Godaddy 'not allowed to send from <d> per it's SPF Record', Exchange 5.7.23 'Sender Policy Framework violation')"),
    ("auth_failure", r"dkim (?:\S+ ){0,2}(?:fail|invalid|error|did not pass|not valid)|fail(?:ed|s)? (?:to pass )?dkim|no (?:valid|passing|acceptable) dkim|dkim = did not pass|dkim sender invalid|domainkeys (?:check )?fail", "RFC 6376/7372 DKIM failures ('DKIM signature verification failed', X.7.20 'No passing DKIM signature found')"),
    ("auth_failure", r"doesn't meet the (?:required )?authentication (?:level|requirements)|unauthenticated (?:email|mail|message)|sender is unauthenticated|must pass either spf or dkim|authenticate with (?:either )?spf or dkim", "Gmail 550 5.7.26 'unauthenticated email ... not accepted', Yahoo 5.7.9 'sender is unauthenticated'"),
    ("auth_failure", r"spf/dns de votre nom de domaine", "Orange 'Veuillez verifier la configuration SPF/DNS de votre nom de domaine'"),
    ("host_unknown", r"the account or domain may not exist", "cPanel/Exim notice 'The account or domain may not exist, they may be blacklisted, or missing the proper dns entries'"),
    # --- rejected: the envelope sender named explicitly (ranks above user_unknown) -------
    ("rejected", r"sender (?:address )?(?:rejected|denied|refused|blocked|blacklisted|not allowed|is in my black list|verify failed|was rejected|not pre-approved|is spammer)", "Postfix 'Sender address rejected', Exim 'sender verify failed', qmail 'sender was rejected'"),
    ("rejected", r"domain of sender address|sender domain (?:is empty|must exist|not found|does not exist)|unroutable sender|sender (?:address )?(?:domain )?(?:must resolve|has no mx)|sender address must exist", "Sendmail 553 5.1.8 'Domain of sender address ... does not exist', Postfix reject_unknown_sender_domain"),
    ("rejected", r"invalid sender|emetteur invalide|from: domain is invalid|provide a valid from:|bad sender|mail from (?:not owned|rejected)|permissions? to send as this sender|bogus mail from|null sender is not allowed|empty envelope senders? not allowed|no third-party dsns|returned mail not accepted", "Orange 'Emetteur invalide. Invalid Sender' (OFR_405), IMail 'Bogus mail from', SpamWall 'no third-party DSNs', GoDaddy IB506 'From: Domain is invalid. Please provide a valid From:'"),
    ("rejected", r"can't determine purported responsible address|purported responsible", "Sender ID (RFC 4407) 'can't determine Purported Responsible Address'"),
    # --- system_full: a full disk behind a 'mailbox unavailable' reply -------------------
    ("system_full", r"mailbox unavailable \(not enough free space\)", "qmail clones 'Requested action not taken: mailbox unavailable (not enough free space)'"),
    # --- filtered: "unknown user" where the status or the SMTP stage says it is not the address
    ("filtered", r"^[45]\.2\.0 .*(?:user ?unknown|unknown user|no such user)", "X.2.0 (mailbox status, RFC 3463 3.3) with 'Unknown user' wording: NTT docomo / KDDI reception filters answer '550 Unknown user' at DATA"),
    ("filtered", r"^(?=.*\b(?:after|in reply to) end of data\b).*(?:user ?unknown|unknown user|no such user|user not found)", "An unknown-user reply after end of DATA: the recipient was accepted at RCPT (RFC 5321 3.3), so a content filter refused it"),
    # --- user_unknown ----------------------------------------------------------------------
    ("user_unknown", r"user ?unknown|unknown user|addressee unknown|unknown (?:local[- ]?part|recipient|mailbox|address|e-?mail address)|user (?:\S+ )?unknown", "Postfix 'User unknown in local recipient table', Sendmail 'User unknown', Exim 'Unknown user'"),
    ("user_unknown", r"no such (?:user|mailbox|recipient|address|person|account)", "Sendmail/Exim 'No such user', qmail 'no mailbox here by that name', Courier 'No such mailbox'"),
    ("user_unknown", r"(?:user|recipient|mailbox|address|account|addressee)(?: \S+)? (?:does not|doesn't|did not|not|does ?n[o']t) exist", "Exim/Dovecot 'User does not exist', Facebook RCP-P1 'Recipient address does not exist'"),
    ("user_unknown", r"(?:user|recipient|mailbox|address) (?:was )?not found|(?:user|recipient|mailbox|address|account) (?:could ?n[o']t be|cannot be|was not) found", "Exchange 'RESOLVER.ADR.RecipNotFound', Office 365 'The email address couldn't be found', Exim 'user not found'"),
    ("user_unknown", r"invalid (?:recipient|mailbox|address|user)|not a valid (?:recipient|mailbox|user|address)|is not a valid mailbox|destinataire invalide", "Exchange 'Invalid recipient', Orange/La Poste 'Invalid recipient' OFR_416/LPN007_416"),
    ("user_unknown", r"mailbox (?:is )?unavailable|mailbox not available|mailbox unavaiable", "RFC 5321 reply 550 'Requested action not taken: mailbox unavailable'"),
    ("user_unknown", r"address rejected(?!:)|recipient address rejected: access denied|address (?:unknown|not present|invalid)|bad destination mailbox address|bad address|#5\.1\.[01] bad address", "RFC 3463 X.1.1 'Bad destination mailbox address', qmail '#5.1.0 Address rejected'"),
    ("user_unknown", r"recipient (?:rejected|unknown|not (?:accepted|ok|local))|rcpt (?:rejected|unknown)", "Postfix/Sendmail 'Recipient rejected', McAfee 'recipient not ok'"),
    ("user_unknown", r"not listed in (?:domino directory|public name & address book)|is not a known user|no account by that name|no mailbox (?:here )?by that name", "Lotus Domino 'User ... not listed in Domino Directory', qmail 'Sorry, no mailbox here by that name'"),
    ("user_unknown", r"recipient name is not recognized|the email account that you tried to reach does not exist|there is no one at this address|this user doesn't have a \S+ account", "Exchange 2003 'The recipient name is not recognized', Gmail 550 5.1.1 (support.google.com/mail/?p=NoSuchUser), Yahoo 'dd This user doesn't have a yahoo.com account'"),
    ("user_unknown", r"address is (?:invalid|not valid|wrong)|email address is wrong or no longer valid", "Common wording 'This email address is wrong or no longer valid', 'The address is invalid'"),
    ("user_unknown", r"badrcptto|validrcptto|badrecipientto|no valid recipients", "qmail badrcptto/validrcptto patches ('sorry, your envelope recipient is in my badrcptto list')"),
    ("user_unknown", r"utilisateur inconnu|usuario (?:desconocido|inexistente)|nessun utente|no existe (?:dicha persona|ese usuario)|unbekannte?r? (?:empf|benutzer)|adresse (?:nicht gefunden|ungueltig)", "French/Spanish/Italian/German MTA translations of 'user unknown'"),
    ("user_unknown", r"vdeliver: invalid or unknown virtual user|invalid final delivery userid|user not known|does not have a final email delivery point|user missing home directory|delivery to this address is not permitted|not our customer|check if (?:the )?address is correct|ディレクトリのリストにありません|ディレクトリには見つかりません", "vpopmail vdeliver, IMail 'Invalid final delivery userid', CSO ph 'Does not have a final email delivery point', Sendmail local 'user missing home directory', Trend Micro IMSS 'Please check if address is correct', Lotus Notes (Japanese) 'not in the directory list'"),
    # --- filtered --------------------------------------------------------------------------
    ("filtered", r"refused due to recipient preferences|recipient (?:is )?only accepting mail from|user refuses to receive|user reject|is not accepting any mail|you have been blocked by the recipient|has restricted sms e-mail", "Facebook RCP-P2 'Refused due to recipient preferences', AOL 'recipient is only accepting mail from specific email addresses'"),
    ("filtered", r"message (?:has been )?filtered|rejected due to user rules|blocked by (?:the )?recipient|recipient id refuse|rejected by (?:the )?(?:recipient's )?domain filter", "Mail.ru/AT&T filter wording, ezweb 'rejected-by-the-domain-filter'"),
    # --- require_ptr -----------------------------------------------------------------------
    ("require_ptr", r"\bptr\b|reverse dns|reverse (?:dns |hostname )?lookup|rdns|reverse-dns|reverse mapping", "Gmail 5.7.25 'does not have a PTR record', Exim 'Fix reverse DNS', GMX 'Bad DNS PTR resource record'"),
    ("require_ptr", r"cannot find your hostname|ip name lookup failed|cannot resolve your (?:address|hostname)|unresolvable relay host name|mismatches client ip|hostname (?:does not|doesn't) match", "Postfix reject_unknown_client_hostname 'Client host rejected: cannot find your hostname', Sendmail 'IP name lookup failed'"),
    ("require_ptr", r"without a valid sender domain|generic dns|dynamic ip or generic|unverifyable sending ips|unverifiable sending ips", "Exim/cPanel 'Connections not accepted from servers without a valid sender domain'"),
    # --- not_compliant_rfc -----------------------------------------------------------------
    ("not_compliant_rfc", r"not (?:rfc ?\d* ?)?compliant|rfc ?5322|rfc ?2822|rfc ?822 |multiple addresses in from|missing a valid (?:address|message-id)|duplicate headers?|non-?compliant", "Gmail 550 5.7.1 'not RFC 5322 compliant', 'Messages with multiple addresses in From: header' (support.google.com/mail/?p=RfcMessageNonCompliant)"),
    # --- bad_reputation --------------------------------------------------------------------
    ("bad_reputation", r"low reputation|poor (?:email )?reputation|bad reputation|reputation problems|reputation (?:of|is)|ip reputation|sender reputation|sender score", "Gmail 421/550 'very low reputation of the sending IP address', Outlook.com 4.7.650 'due to IP reputation'"),
    # --- content_error ---------------------------------------------------------------------
    ("content_error", r"headers? (?:too large|too long|are not accepted)|media error|too many \W?received\W{0,2} headers|mime complexity|invalid mime headers|improperly-formatted binary content|unnecessary base64 encoding|header size exceeds|improper use of 8-bit|8-?bit data|illegal characters? in|invalid characters|invalid message content|bare lf|message (?:is )?malformed|malformed (?:message|mime)", "Sendmail 'improper use of 8-bit data in message header', 'Headers too large', Exchange 5.6.11 'invalid characters'"),
    # --- blocked: DNSBL listings named explicitly (rank above generic spam wording) -------
    ("blocked", r"spamhaus|spamcop|barracudacentral|sorbs|abuseat|\bcbl\b|\brbl\b|\bdnsbl\b|blacklist|blocklist|block list|black list|denylist|deny list", "DNSBL rejections (Spamhaus, SpamCop, Barracuda, SORBS, CBL)"),
    ("blocked", r"blocked using|listed (?:at|on|in|by) (?:the )?(?:[a-z0-9-]+\.)+[a-z]{2,}|client host (?:\S+ )?(?:rejected|blocked)|ip (?:address )?(?:\S+ )?(?:is )?(?:blocked|banned|rejected|refused|not allowed|blacklisted)|banned sending ip|sending ip (?:\S+ )?(?:is )?(?:blocked|banned)", "Postfix reject_rbl_client 'Client host rejected: blocked using', Exchange Online 5.7.606 'banned sending IP'"),
    ("blocked", r"dynamic ip|dial-?up|residential ip|hosts with dynamic|please use (?:the smtp server of )?your isp|invalid ip for sending|esmtp not accepting connections|not currently accepting mail from your ip", "Mail.ru 'We do not accept mail from dynamic IPs', iCloud 'ESMTP not accepting connections'"),
    # --- rejected --------------------------------------------------------------------------
    ("rejected", r"batv|backscatter", "BATV (draft-levine-smtp-batv) tag checks, MDaemon backscatter protection"),
    ("rejected", r"not (?:a member|allowed to post|subscribed) (?:of|to) (?:this|the) (?:mailing )?(?:list|group)|members-only list|you are not a member|you may not have permission to post", "fml 'You are not a member of this mailing list', Google Groups 'you may not have permission to post messages to the group'"),
    ("rejected", r"temporarily deferred due to (?:unexpected volume or )?user complaints|will be permanently deferred|\[tss0[49]\]", "Yahoo [TSS04]/[TSS09] (senders.yahooinc.com/smtp-error-codes)"),
    # --- the SMTP stage: refused before any recipient was named (after specific wording) -
    ("blocked", r"after initial connection|but my name was rejected|but greeting failed|invalid (?:helo|ehlo)|(?:helo|ehlo) (?:name |argument |hostname )?(?:is )?invalid|greylist|in reply to (?:helo|ehlo)|after (?:helo|ehlo)\b|helo command rejected", "Exim 'SMTP error from remote mail server after initial connection', qmail-remote 'Connected to X but my name was rejected', Postfix '(in reply to HELO command)', Postgrey 'Greylisted' (RFC 6647: the client is deferred until it retries)"),
    ("rejected", r"after mail from|in reply to mail from", "Exim 'SMTP error from remote mail server after MAIL FROM:<...>', Postfix '(in reply to MAIL FROM command)': the sender was refused, not a recipient"),
    # --- rejected: bare "access denied" (after the stage rows: at connect it is the client) -
    ("rejected", r"access denied|administrative prohibition", "Exchange/Postfix 'Access denied' after MAIL FROM, Exim 'administrative prohibition'"),
    # --- network_error ---------------------------------------------------------------------
    ("network_error", r"routing loop|mail forwarding loop|hop count exceeded|too many hops|maximum (?:forwarding loop|hop)|message looping|exceeded \d+ hops|forwarded more than the maximum", "Sendmail 'Too many hops', Postfix 'mail forwarding loop for', Domino 'Maximum hop count exceeded'"),
    ("network_error", r"dns (?:error|query failed|lookup failure|failure)|name server reply|host name lookup failure|host not found, try again|no route to host|host is unreachable|(?:wasn't|was not|unable|not) able to establish an smtp connection|although i'm listed as a best-preference mx|network is unreachable|unable to resolve route", "Postfix 'Host not found, try again', Gmail 'DNS Error: ... lookup of', Exchange 5.4.312 'DNS query failed'"),
    # --- host_unknown ----------------------------------------------------------------------
    ("host_unknown", r"host unknown|unknown host|couldn't find any host (?:named|by that name)|bad destination system address|\.[a-z]{2,24} does not exist|host or domain name not found|domain (?:name )?not found|no such domain|domain (?:does not|doesn't) exist|unrout(?:e)?able (?:mail )?(?:address|domain)|illegal host/domain|host not found|name or service not known|domain is not reachable|mx records point to non-existent hosts|host address lookups failed permanently|unknown domain|domain must exist|nxdomain", "Sendmail '550 Host unknown', Postfix 'Host or domain name not found', Exim 'Unrouteable address', OpenSMTPD 'Domain does not exist'"),
    # --- qmail's give-up tail: the last error, else the queue lifetime --------------------
    ("system_error", r"(?:unable to contact|cannot connect to|could not connect to|unable to login into) (?:the )?(?:ldap|directory) server|temporary failure in ldap lookup|timeout while performing search on ldap|ldap attribute|automatic homedir creat|error while executing qmail-forward|too many results returned but needs to be unique|bad interpreter", "qmail-ldap 'Unable to contact LDAP server. (#4.4.3)'"),
    ("expired", r"in the queue too long|delivery failed \d+ attempts", "qmail-send 'I'm not going to try again; this message has been in the queue too long.', IMail 'Delivery failed N attempts'"),
    # --- virus_detected --------------------------------------------------------------------
    ("virus_detected", r"virus|malware|infected|trojan|worm\b|phishing|potentially executable attachment|used by recent viruses", "Amavis/ClamAV 'Virus found', Exchange/MessageLabs virus rejections"),
    # --- spam_detected ---------------------------------------------------------------------
    ("spam_detected", r"\bspam\b|spamassassin|junk ?mail|unsolicited|\bube\b|bulk (?:e-?mail|mail)|spam-like", "SpamAssassin/Amavis 'Reject - SPAM', Barracuda 'Message content rejected, UBE', Gmail 'likely unsolicited mail'"),
    ("spam_detected", r"mail content denied|\bsurbl\b|\buribl\b|content filter|message content rejected|content rejected|suspected spam|classified as spam|identified as spam|score (?:of |too high)|rejected due to spam", "Tencent QQ 'mail content denied', generic content-filter wording"),
    # --- too_many_conn ---------------------------------------------------------------------
    ("too_many_conn", r"too many (?:connections|concurrent|simultaneous|sessions|smtp sessions|errors from your ip)|trop de connexions|connection limit for|maximum connection limit|connection (?:rate )?limit|max(?:imum)? (?:number of )?connections|too many recipients|max message per connection", "Postfix anvil 'Too many connections', 'Connection rate limit exceeded', RFC 5321 452 'Too many recipients'"),
    # --- speeding --------------------------------------------------------------------------
    ("speeding", r"rate limit|ratelimit|rate-limit|try again slower|max emails per hour|maximum sending rate|too (?:many|much) (?:messages|mail|emails)|receiving mail (?:too quickly|at a rate)|sending (?:too fast|rate)|throttl|slow down|try again later\. too many|exceeded (?:the )?(?:daily )?(?:sending|message) (?:limit|quota)", "Gmail 450 4.2.1 'receiving mail too quickly', Postfix anvil 'Message rate limit exceeded'"),
    # --- blocked ---------------------------------------------------------------------------
    ("blocked", r"\bhelo\b.{0,40}(?:invalid|rejected|not allowed)|rejecting open proxy|blocked - see|refused - see|go away|you are not allowed to connect|\(bl\)", "Postfix 'Helo command rejected', Sendmail 'Rejecting open proxy'"),
    ("blocked", r"connection (?:dropped|reset)|service (?:not available|unavailable), closing transmission channel", "RFC 5321 reply 421 'Service not available, closing transmission channel' at connect, Exim 'after initial connection'"),
    # --- policy_violation ------------------------------------------------------------------
    ("policy_violation", r"policy (?:violation|reasons|restriction)|denied by policy|local policy|header error|rejected by (?:organization )?policy|organizational settings|security policies|content presents a potential|protocol violation|not accepted for policy", "Yahoo 554 5.7.9 'Message not accepted for policy reasons', Mimecast 'email rejected due to security policies', Gmail 552 5.7.0"),
    ("policy_violation", r"illegal attachment|- banned:|banned (?:content|attachment|file)|attachment (?:not allowed|blocked|type)|prohibited (?:attachment|file)|mass mailer|closed mailing list", "Gmail 552 5.7.0 'Our system detected an illegal attachment on your message'"),
    # --- security_error --------------------------------------------------------------------
    ("security_error", r"authentication (?:required|failed|failure|credentials)|authentification (?:invalide|requise)|verification failure|insecure mail relay|executable files are not allowed|is a dead domain|not authorized to perform ses|not subscribed to ses|unauthenticated senders|must (?:be )?authenticat|\bauth\b.*required|starttls|tls (?:is )?required|must issue a starttls|encryption required|certificate (?:verification|validation|error|has expired|expired|is not valid|failed)", "RFC 4954 530 5.7.0 'Authentication required', Gmail 530 'Must issue a STARTTLS command first'"),
    # --- system_full -----------------------------------------------------------------------
    ("system_full", r"mail system full|system (?:storage|disk) (?:is )?full|server (?:is )?(?:disk )?full|queue (?:is )?full", "RFC 3463 X.3.1 'Mail system full'"),
    # --- system_error ----------------------------------------------------------------------
    ("system_error", r"system error|internal (?:server )?error|temporary (?:system|local) problem|local error|server (?:error|busy)|mailbox temporarily unavailable|service (?:temporarily )?unavailable|resources temporarily unavailable|try again later|temporarily rejected|could not load|i/o error|configuration error|misconfigur", "Postfix 'temporary local problem', Gmail 421 4.3.0 'Temporary System Problem', qmail 'Resources temporarily unavailable'"),
    ("system_error", r"duplicated message-id|too many related errors|service refused, please try later|local delivery failed|delivery to (?:pipe|file) forbidden|lmtp error after|unable to (?:chdir|open|read|write|switch|exec|fork|lock|stat)\b|forwarding loop broken|can't create user output file|interrupted system call|error while being processed|would create a mail loop|loops? back to (?:myself|me)|loop was found in the mail exchanger|queue file write error|no mdb|server is misconfigured|timeout waiting for input|transaction failed", "fml 'Duplicated Message-ID', Orange OFR_505 'Service refused, please try later'"),
    # --- qmail's lead-in: the remote's own words (any row above) say more ------------------
    ("user_unknown", r"does not like recipient", "qmail-remote 'X does not like recipient. Remote host said: ...'"),
    # --- expired ---------------------------------------------------------------------------
    ("expired", r"timed? ?out|time-?out|expired|retry (?:time|timeout)|giving up|could not find a gateway for|failing for a long time|has been frozen|frozen on arrival|could not be delivered (?:for|within)|not (?:been )?delivered within|delivery attempts will continue|has been delayed|delayed|not reachable within|unable to deliver message after|did not respond|not responding|did not accept our requests to connect|failed to deliver to domain|connection refused", "Postfix 'Connection timed out', Sendmail 'Deferred: Connection timed out', OpenSMTPD 'Envelope expired', Exchange 'Message expired'"),
    # --- mailer_error ----------------------------------------------------------------------
    ("mailer_error", r"\bx-unix\b|mailer error|procmail|pipe to |command (?:died|failed|output)|exit (?:code|status)|unknown mailer error|returned status \d", "Sendmail 'X-Unix; 255' prog mailer, Postfix pipe(8) 'Command died with status'"),
    # --- syntax_error ----------------------------------------------------------------------
    ("syntax_error", r"angle-brackets nested too deep|expected word or \W<|domain missing in source-routed address|malformed address:|syntax error|bad sequence of commands|command (?:not recognized|unrecognized|not implemented)|unrecognized command|invalid command|line too long", "RFC 5321 replies 500/501/503 'Syntax error', 'Bad sequence of commands'"),
)

# Machine-readable error identifiers some MTAs put in the diagnostic. Each names one cause, so a
# match decides outright (before status codes and the wording above).
IDENTIFIER_ROWS: tuple[tuple[str, str, str], ...] = (
    ("user_unknown", r"resolver\.adr\.(?:ex)?recip(?:ient)?notfound|\(000c05a6\)", "Exchange 2007+ NDR 'RESOLVER.ADR.RecipNotFound' / 'RecipientNotFound' / 'ExRecipNotFound'; Exchange 2003 MSEXCH '(000C05A6) Unknown Recipient'"),
    ("host_unknown", r"smtpsend\.dns\.nonexistentdomain", "Exchange NDR 554 5.4.4 'SMTPSEND.DNS.NonExistentDomain'"),
    ("network_error", r"smtpsend\.dns\.mxloopback|\(00120270\)", "Exchange NDR 554 5.4.4 'SMTPSEND.DNS.MxLoopback'; Exchange 2003 '(00120270) Too Many Hops'"),
    ("too_many_conn", r"resolver\.adr\.reciplimit", "Exchange NDR 550 5.5.3 'RESOLVER.ADR.RecipLimit'"),
    ("system_error", r"resolver\.adr\.(?:badprimary|invalidinsmtp|ambiguous)|\((?:00010256|000d06b5)\)", "Exchange NDR 'RESOLVER.ADR.BadPrimary' / 'InvalidInSmtp' / 'Ambiguous'; Exchange 2003 '(00010256) Too many recipients', '(000D06B5) No proxy for recipient'"),
    ("security_error", r"resolver\.rst\.authrequired|\(000b0981\)", "Exchange NDR 550 5.7.1 'RESOLVER.RST.AuthRequired'; Exchange 2003 '(000B0981) 502 Server does not support AUTH'"),
    ("rejected", r"resolver\.rst\.notauthorized", "Exchange NDR 550 5.7.1 'RESOLVER.RST.NotAuthorized': the sender may not send to this recipient"),
    ("exceed_limit", r"resolver\.rst\.recipsizelimit", "Exchange NDR 550 5.2.3 'RESOLVER.RST.RecipSizeLimit; message too large for this recipient'"),
    ("expired", r"queue\.expired", "Exchange NDR 550 4.4.7 'QUEUE.Expired; message expired'"),
    ("filtered", r"\(000c0595\)", "Exchange 2003 MSEXCH '(000C0595) Ambiguous Recipient'"),
    ("content_error", r"\((?:00050311|000502cc)\)", "Exchange 2003 '(00050311)/(000502CC) Conversion to Internet format failed'"),
)

