"""The support page served by ``bounced web`` at "/": sign in, look an address up, read why mail
to it stopped in plain words, lift or suppress it with a reason (``app.pages_app``)."""
