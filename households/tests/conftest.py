import pytest
from django.conf import settings


@pytest.fixture
def english(client):
    """The test client with English chosen through the language switch (the site defaults to Chinese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
