"""An OpenAI-compatible chat-completions client that rephrases a finished help answer."""

from __future__ import annotations

import httpx

from onetouch.settings import Settings

SYSTEM_PROMPT = (
    "You rewrite customer-support answers for delivery drivers so they read warmly and "
    "clearly. Keep every fact, every dollar amount, every time and every id exactly as "
    "written; add no amount, promise or fact. Answer in {language}, with the rewritten text only."
)
LANGUAGES = {"en": "English", "es": "Spanish"}


class RephraseError(Exception):
    """The rephrasing endpoint gave no usable text; the message never carries the answer."""


class RephraseTimeout(RephraseError):
    """The endpoint did not answer in time."""


class RephraseUnavailable(RephraseError):
    """The endpoint could not be reached, or failed (5xx)."""


class RephraseRefused(RephraseError):
    """The endpoint refused the request (4xx: credentials, limits, a bad model name)."""


class RephraseInvalid(RephraseError):
    """The endpoint answered with a body that is not a chat completion."""


class Rephraser:
    """Chat completions over an injected httpx.Client whose base URL is the API root (…/v1)."""

    def __init__(self, client: httpx.Client, *, model: str, api_key: str = "") -> None:
        self._client = client
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    @classmethod
    def from_settings(cls, settings: Settings, transport: httpx.BaseTransport | None = None
                      ) -> Rephraser | None:
        """The configured rephraser, or None when no URL is set (the default)."""
        if settings.help_rephrase_url is None:
            return None
        timeout = httpx.Timeout(settings.help_rephrase_timeout_s,
                                connect=min(settings.connect_timeout_s,
                                            settings.help_rephrase_timeout_s))
        client = httpx.Client(base_url=str(settings.help_rephrase_url), timeout=timeout,
                              transport=transport)
        return cls(client, model=settings.help_rephrase_model,
                   api_key=settings.help_rephrase_api_key.get_secret_value())

    def rephrase(self, text: str, locale: str) -> str:
        """The text reworded by the model; a typed error when there is none."""
        body = {"model": self._model, "temperature": 0, "messages": [
            {"role": "system",
             "content": SYSTEM_PROMPT.format(language=LANGUAGES.get(locale, "English"))},
            {"role": "user", "content": text}]}
        try:
            response = self._client.post("chat/completions", json=body, headers=self._headers)
        except httpx.TimeoutException:
            raise RephraseTimeout("rephrase: no answer in time") from None
        except httpx.HTTPError as exc:
            raise RephraseUnavailable(f"rephrase: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise RephraseUnavailable(f"rephrase: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise RephraseRefused(f"rephrase: HTTP {response.status_code}")
        return _content(response)

    def close(self) -> None:
        """Close the underlying HTTP client."""
        self._client.close()


def _content(response: httpx.Response) -> str:
    """The first choice's message text."""
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise RephraseInvalid("rephrase: not a chat completion") from None
    if not isinstance(content, str) or not content.strip():
        raise RephraseInvalid("rephrase: empty message")
    return content.strip()
