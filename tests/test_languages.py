"""Replies and notices in other languages than English through the whole parser: the decision.

Localised MTAs, small servers and webmail providers word their refusals in their users' language,
sometimes beside the English text, sometimes alone (a German half of web.de's bilingual replies,
a Chinese server's own RCPT reply). Each row is carried the three ways of
tests/test_provider_texts.py (DSN at RCPT and at DATA with the remote's or a class-only status, and
an Exim-style plain notice) and must reach the decision the wording means. The KEEP rows hold
generic words of a language ("unbekannt", "nicht gefunden", "inconnu", "不存在") where they
name the sender or a host: they must never suppress the recipient at once.
"""
from __future__ import annotations

import re

import pytest

from tests.test_provider_texts import COUNT, NOW, _decision, _dsn, _exim_text

WEBDE, MX = "mx-ha.web.de", "mx.example.net"

CASES = [
    # German: Adobe Campaign's (German) bounce-qualification docs give "550 Benutzer unbekannt" as an ISP's reply
    ("de-550-benutzer-unbekannt", "a@example.de", MX, "550 Benutzer unbekannt", NOW),
    # Adobe Campaign Classic 'Using MX servers' (experienceleague.adobe.com/docs/campaign-classic/using/installing-campaign-classic/
    # additional-configurations/using-mx-servers.html, ?lang=fr/es/it/pt-BR/ja/ko/nl/de): the localised editions give an ISP's
    # "550 User unknown" in the page's language, and its bounce examples (user unknown, user quota exceeded, inactive mailbox)
    ("adobe-fr-550-utilisateur-inconnu", "a@example.fr", MX, "550 Utilisateur inconnu", NOW),
    ("adobe-es-550-usuario-desconocido", "a@example.es", MX, "550 Usuario desconocido", NOW),
    ("adobe-pt-550-usuario-desconhecido", "a@example.com.br", MX, "550 Usuário desconhecido", NOW),
    ("adobe-it-550-utente-sconosciuto", "a@example.it", MX, "550 Utente sconosciuto", NOW),
    ("adobe-nl-550-gebruiker-onbekend", "a@example.nl", MX, "550 Gebruiker Onbekend", NOW),
    ("adobe-ja-550-user-unknown", "a@example.jp", MX, "550 ユーザーが不明", NOW),
    ("adobe-ko-550-user-unknown", "a@example.kr", MX, "550 사용자 알 수 없음", NOW),
    ("adobe-de-5.1.1-ist-unbekannt", "a@example.de", MX, "550 5.1.1 ... Benutzer ist unbekannt {mx003}", NOW),
    ("adobe-de-5.2.2-quote", "a@example.de", MX, "550 5.2.2 Benutzerquote überschritten", COUNT),
    ("adobe-de-5.7.1-inaktiv", "a@example.de", MX, "550 5.7.1 : Anschrift des Empfängers abgelehnt: Inaktive MailBox, nicht länger als 6 Monate gefüllt", COUNT),
    ("adobe-fr-5.1.1-est-inconnu", "a@example.fr", MX, "550 5.1.1 ... L'utilisateur est inconnu {mx003}", NOW),
    ("adobe-fr-5.2.2-quota", "a@example.fr", MX, "550 5.2.2 Dépassement du quota d'utilisateurs", COUNT),
    ("adobe-fr-5.7.1-inactive", "a@example.fr", MX, "550 5.7.1 : adresse du destinataire refusée : boîte aux lettres inactive, non affichée pendant plus de 6 mois", COUNT),
    ("adobe-es-5.1.1-desconocido", "a@example.es", MX, "550 5.1.1 ... Usuario desconocido {mx003}", NOW),
    ("adobe-es-5.2.2-cuota", "a@example.es", MX, "550 5.2.2 Se ha superado la cuota de usuario", COUNT),
    ("adobe-es-5.7.1-inactivo", "a@example.es", MX, "550 5.7.1 : Dirección del destinatario rechazada: buzón inactivo, no reaparecido durante más de 6 meses", COUNT),
    ("adobe-it-5.1.1-sconosciuto", "a@example.it", MX, "550 5.1.1 ... Utente sconosciuto {mx003}", NOW),
    ("adobe-it-5.2.2-quota", "a@example.it", MX, "550 5.2.2 Superata la quota degli utenti", COUNT),
    ("adobe-it-5.7.1-inattiva", "a@example.it", MX, "550 5.7.1 : Indirizzo destinatario rifiutato: MailBox inattiva, non in poping per più di 6 mesi", COUNT),
    ("adobe-pt-5.1.1-desconhecido", "a@example.com.br", MX, "550 5.1.1 ... O usuário é desconhecido {mx003}", NOW),
    ("adobe-pt-5.2.2-cota", "a@example.com.br", MX, "550 5.2.2 Cota de usuário excedida", COUNT),
    ("adobe-pt-5.7.1-inativa", "a@example.com.br", MX, "550 5.7.1 : Endereço do destinatário rejeitado: Caixa de Correio Inativa, não publicada por mais de 6 meses", COUNT),
    ("adobe-ja-5.1.1-unknown-user", "a@example.jp", MX, "550 5.1.1 ...不明なユーザー {mx003}", NOW),
    ("adobe-ja-5.2.2-quota", "a@example.jp", MX, "550 5.2.2 ユーザークォータ超過", COUNT),
    ("adobe-ja-5.7.1-inactive", "a@example.jp", MX, "550 5.7.1：受信者アドレスが拒否されました：非アクティブなメールボックスで、6 か月以上ポッピングされていない", COUNT),
    ("adobe-ko-5.1.1-unknown-user", "a@example.kr", MX, "550 5.1.1 ... 사용자를 알 수 없습니다. {mx003}", NOW),
    ("adobe-ko-5.2.2-quota", "a@example.kr", MX, "550 5.2.2 사용자 할당량 초과", COUNT),
    ("adobe-ko-5.7.1-inactive", "a@example.kr", MX, "550 5.7.1 : 수신자 주소 거부됨: 비활성 MailBox, 6개월 이상 포핑되지 않음", COUNT),
    ("adobe-nl-5.1.1-is-onbekend", "a@example.nl", MX, "550 5.1.1 ... Gebruiker is onbekend {mx003}", NOW),
    ("adobe-nl-5.2.2-quotum", "a@example.nl", MX, "550 5.2.2 Gebruikerquotum overschreden", COUNT),
    ("adobe-nl-5.7.1-inactive", "a@example.nl", MX, "550 5.7.1 : Ontvangen adres: Inactive MailBox, niet langer dan 6 maanden opgevuld", COUNT),
    # small servers' own RCPT replies (code corpus): an Italian Java SMTP server's NO_SUCH_USER constant
    # "550 Utente inesistente nel dominio <domain>", a Portuguese Python one's '550 Usuário não encontrado no PlainPost'
    ("it-550-utente-inesistente-nel-dominio", "a@example.it", MX, "550 Utente inesistente nel dominio example.it", NOW),
    ("pt-550-usuario-nao-encontrado", "a@example.com.br", MX, "550 Usuário não encontrado no PlainPost", NOW),
    # web.de's replies as listed by sitepackage.de/service/dokumentation/auswertung/typische-fehlermeldungen-bei-unzustellbarkeit.html
    ("webde-550-benutzer-nicht-bekannt", "a@web.de", WEBDE, "550 Benutzer nicht bekannt/User unknown", NOW),
    ("webde-550-benutzer-nicht-bekannt-de", "a@web.de", WEBDE, "550 Benutzer nicht bekannt", NOW),  # the German half alone
    ("webde-550-speichervolumen", "a@web.de", WEBDE, "550 Benutzer hat das Speichervolumen ueberschritten. / User has exhausted allowed storage space.", COUNT),
    ("webde-550-speichervolumen-de", "a@web.de", WEBDE, "550 Benutzer hat das Speichervolumen ueberschritten.", COUNT),
    ("webde-550-zuviele-mails", "a@web.de", WEBDE, "550 Benutzer hat zuviele Mails auf dem Server. / User has too many messages on the server.", COUNT),
    ("webde-550-zuviele-mails-de", "a@web.de", WEBDE, "550 Benutzer hat zuviele Mails auf dem Server.", COUNT),
    # bytecamp.net/de/faq/email/zustellen.html: its server's bilingual replies
    ("bytecamp-422-4.2.2-speicherplatz", "a@example.de", MX, "422 4.2.2 Quota limit exceeded (Speicherplatz des Kontos ueberschritten)", COUNT),
    ("bytecamp-552-speicherplatz-de", "a@example.de", MX, "552 Speicherplatz des Kontos ueberschritten", COUNT),  # the German half alone
    ("bytecamp-571-5.7.1-spam", "a@example.de", MX, "571 5.7.1 message classified as spam (Nachricht als Spam eingestuft)", COUNT),
    # Czech: Seznam's help page 'Uživatel neexistuje' (napoveda.seznam.cz/uzivatel-neexistuje)
    ("seznam-5.1.1-szn-not-mapped", "a@seznam.cz", "mx1.seznam.cz", "550 5.1.1 szn; User hasn't got the service mapped", NOW),
    # Chinese: a Java SMTP server's RCPT/VRFY handler answers '550 收件人不存在' (recipient does not exist);
    # a Node smtp-server's onRcptTo '550 收件人未在本服务注册: <addr>' (recipient not registered with this service)
    # (code corpus, find_string '550 收件人'); the same wording is emailhost.com.cn's label 收件人不存在 for 'user not exist'
    ("zh-550-recipient-not-exist", "a@example.cn", MX, "550 收件人不存在", NOW),
    ("zh-550-recipient-not-registered", "a@example.cn", MX, "550 收件人未在本服务注册: a@example.cn", NOW),
    # Chinese webmail notices' 退信原因 lines (mysdqq.cn/a460000-show/news-1981.html): address does not exist,
    # inbox full, folder message-count limit, dormant account
    ("zh-550-address-not-exist", "a@example.cn", MX, "550 收件人邮件地址不存在，邮件无法送达。", NOW),
    ("zh-552-inbox-full", "a@example.cn", MX, "552 收信人收件箱已满，无法收信。", COUNT),
    ("zh-552-folder-count", "a@example.cn", MX, "552 收信人邮箱文件夹邮件数量限制，无法收信。", COUNT),
    ("zh-550-dormant", "a@example.cn", MX, "550 用户由于长时间未登录处于休眠状态。", COUNT),
]

# generic words that name the sender or a host, not the recipient: never NOW
KEEP = [
    # onesystems.ch explains '550 5.1.8 Sender address rejected: Domain not found' as the Absender-Adresse's domain
    ("de-553-5.1.8-absender-unbekannt", "a@example.de", MX, "553 5.1.8 Absender unbekannt"),
    ("de-550-absenderadresse-nicht-gefunden", "a@example.de", MX, "550 Absenderadresse nicht gefunden"),
    ("de-451-host-nicht-gefunden", "a@example.de", MX, "451 Host nicht gefunden, bitte spaeter erneut versuchen"),
    ("de-550-domain-unbekannt-absender", "a@example.de", MX, "550 Domain des Absenders unbekannt"),
    ("fr-550-expediteur-inconnu", "a@example.fr", MX, "550 Expéditeur inconnu"),
    ("fr-550-domaine-expediteur-inconnu", "a@example.fr", MX, "550 Domaine de l'expéditeur inconnu"),
    ("fr-550-adresse-expediteur-nexiste-pas", "a@example.fr", MX, "550 L'adresse de l'expéditeur n'existe pas"),
    ("nl-550-afzender-onbekend", "a@example.nl", MX, "550 Afzender onbekend"),  # afzender: the sender
    ("pt-553-remetente-desconhecido", "a@example.com.br", MX, "553 Remetente desconhecido"),  # remetente: the sender
    ("ja-553-sender-unknown", "a@example.jp", MX, "553 送信者が不明です"),  # 送信者: the sender
    ("ja-451-host-unknown", "a@example.jp", MX, "451 ホストが不明です"),
    ("ko-553-sender-unknown", "a@example.kr", MX, "553 발신자를 알 수 없습니다"),  # 발신자: the sender
    ("zh-553-sender-not-exist", "a@example.cn", MX, "553 发件人不存在"),  # 发件人: the sender
    ("zh-451-host-not-found", "a@example.cn", MX, "451 主机不存在，请稍后重试"),
]


def _envelopes(rcpt: str, host: str, text: str, stage: str) -> dict[str, bytes]:
    code = re.search(r"\b[45]\.\d{1,3}\.\d{1,3}\b", text)
    return {
        "dsn, the remote's status": _dsn(rcpt, host, text, code.group(0) if code else f"{text[0]}.0.0", stage),
        "dsn, class-only status": _dsn(rcpt, host, text, f"{text[0]}.0.0", stage),
        "plain-text notice": _exim_text(rcpt, host, text, stage),
    }


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
@pytest.mark.parametrize("rcpt,host,text,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_language_text_decision(rcpt, host, text, expected, stage):
    for how, raw in _envelopes(rcpt, host, text, stage).items():
        decision, reason = _decision(raw, rcpt)
        assert decision == expected, f"{how}: {decision} ({reason}) for {text!r}"


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
@pytest.mark.parametrize("rcpt,host,text", [c[1:] for c in KEEP], ids=[c[0] for c in KEEP])
def test_generic_words_not_now(rcpt, host, text, stage):
    for how, raw in _envelopes(rcpt, host, text, stage).items():
        decision, reason = _decision(raw, rcpt)
        assert decision != NOW, f"{how}: {decision} ({reason}) for {text!r}"

