"""The app behind a token: requests without it are refused; no code is shown or runnable."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from .harness import app_server


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url):
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=120) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def token_app():
    with app_server("--pool-size", "0", "--token", "s3cret-for-test", timeout=120) as url:
        yield url


def test_requests_without_the_token_are_refused(token_app):
    status, headers, _ = _get(token_app + "/voila/render/05-vanishing-exploding.ipynb")
    assert status in (302, 403), status
    if status == 302:
        assert "/login" in headers["Location"]
    status, _, _ = _get(token_app + "/voila/render/05-vanishing-exploding.ipynb?token=wrong")
    assert status in (302, 403)


def test_the_token_opens_the_lesson_without_showing_code(token_app):
    status, _, body = _get(token_app + "/voila/render/05-vanishing-exploding.ipynb?token=s3cret-for-test")
    assert status == 200
    assert "Vanishing and exploding gradients" in body
    assert "from rnnviz.widgets.vanishing import" not in body  # sources are stripped
