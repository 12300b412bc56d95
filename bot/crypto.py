"""Secrets at rest: Fernet (AES-128-CBC + HMAC) with the key from SECRET_KEY.

Webhook secret tokens are derived, not stored: HMAC(secret key, bot id), so a leaked database
does not let anyone forge updates.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())
        self._mac_key = hashlib.sha256(b"gptitor-mac:" + key.encode()).digest()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("cannot decrypt: SECRET_KEY changed or the value was tampered with") from exc

    def sign(self, message: str, length: int = 16) -> str:
        """A short URL-safe MAC of `message` (for payloads and webhook secrets)."""
        digest = hmac.new(self._mac_key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]

    def verify(self, message: str, signature: str, length: int = 16) -> bool:
        return hmac.compare_digest(self.sign(message, length), signature)

    def webhook_secret(self, bot_id: int) -> str:
        # Telegram allows A-Z a-z 0-9 _ - in secret_token, 1..256 chars.
        return self.sign(f"webhook:{bot_id}", 48)


def generate_key() -> str:
    return Fernet.generate_key().decode()
