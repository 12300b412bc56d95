"""The one error type of the referral domain."""

from __future__ import annotations


class ReferralError(Exception):
    """A refusal a person can be told about. `code` is a locale key (e.g. "referral-not-allowed"),
    so the dialogs translate it instead of showing an exception text."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


# The codes, so callers and tests do not retype strings.
NOT_ALLOWED = "referral-not-allowed"                   # may not own an invite link on this tracker
AUTHOR_ONLY = "referral-partner-link-author-only"      # "become my partner" links: the author's alone here
NOT_AUTHOR = "referral-not-author"                     # author-side statistics of someone else's tracker
LINK_NOT_FOUND = "referral-link-not-found"             # no such link, or not yours (the same answer)
TRACKER_NOT_FOUND = "referral-tracker-not-found"
LABEL_TOO_LONG = "referral-label-too-long"
TOO_MANY_LINKS = "referral-too-many-links"
