"""The README's screenshots: taken by every run, written only when the page changed, so a run that changed
nothing leaves the tree clean and one that changed a page shows it in ``git status``."""

from tests.browser import conftest


def test_a_screenshot_is_written_when_the_page_changed_and_only_then(browser, tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "DOCS", str(tmp_path))
    page = browser.new_page(viewport={"width": 400, "height": 120})
    try:
        page.set_content('<p style="font: 20px sans-serif; margin: 2rem">Refunded 25.00 USD</p>')
        assert conftest.keep_screenshot(page, "shot.png")  # none yet
        first = (tmp_path / "shot.png").read_bytes()
        assert not conftest.keep_screenshot(page, "shot.png")
        assert (tmp_path / "shot.png").read_bytes() == first

        page.set_content('<p style="font: 20px sans-serif; margin: 2rem">Refunded 26.00 USD</p>')
        assert conftest.keep_screenshot(page, "shot.png")  # one digit
        assert (tmp_path / "shot.png").read_bytes() != first

        page.set_viewport_size({"width": 401, "height": 120})
        assert conftest.pixels_differing(browser, first, page.screenshot(full_page=True)) == -1
    finally:
        page.close()
