from households.tests.conftest import english  # noqa: F401  (the trail's admin pages are read in English)
