"""The loss lab as a place to play, in real headless Chromium: a slider recomputes without a
submit, the address carries the state, the overlay picker redraws, and a phone does not scroll
sideways."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.test_site import assert_clean, shoot

pytestmark = pytest.mark.browser


def loss_cell(page) -> str:
    return page.locator("#result table.scalars td").first.inner_text()


def test_moving_the_beta_slider_recomputes_without_a_submit(page, watch, live_server):
    page.goto(live_server.url + "/losses/dpo")
    before = loss_cell(page)
    slider = page.locator("input.param-slider[aria-label='beta slider']")
    assert slider.count() == 1
    slider.fill("2")  # a range input takes fill(); it fires input and change
    page.wait_for_function(
        "before => document.querySelector('#result table.scalars td').innerText !== before",
        arg=before,
    )
    assert page.locator("input[name='params.beta']").input_value() == "2"
    assert loss_cell(page) != before
    # The address now holds the state, without a navigation.
    query = parse_qs(urlparse(page.url).query)
    assert query["params.beta"] == ["2"]
    assert_clean(watch)


def test_typing_an_input_recomputes_and_marks_a_bad_field(page, watch, live_server):
    page.goto(live_server.url + "/losses/dpo")
    field = page.locator("textarea[name='inputs.policy_chosen_logps']")
    field.fill("-12, -29.5, oops, -22")
    page.wait_for_selector("#result .errors")
    assert field.get_attribute("aria-invalid") == "true"
    assert "oops" in page.locator("#result .errors").inner_text()
    # The recompute answered 422, as the form post does: the one expected failed request.
    expected = [e for e in watch.errors if "422" in e]
    assert expected and all("/losses/dpo" in e or "status of 422" in e for e in expected)
    watch.errors[:] = [e for e in watch.errors if e not in expected]
    assert_clean(watch)


def test_a_shared_address_restores_the_state(page, watch, live_server):
    page.goto(live_server.url + "/losses/dpo")
    page.wait_for_load_state("load")  # leaving mid-load would abort the logo's request
    page.locator("input[name='params.beta']").fill("0.5")
    page.wait_for_function("() => location.search.includes('params.beta=0.5')")
    shared = page.url
    value = loss_cell(page)

    page.goto(live_server.url + "/losses/dpo")  # somewhere else first
    page.wait_for_load_state("load")
    assert loss_cell(page) != value
    page.goto(shared)
    assert page.locator("input[name='params.beta']").input_value() == "0.5"
    assert loss_cell(page) == value
    # Three navigations in a row can cancel the logo image of the page being left; that abort
    # is the browser's, not a failed request of the lab.
    watch.errors[:] = [e for e in watch.errors if not e.endswith("mark.svg net::ERR_ABORTED")]
    assert_clean(watch)


def test_overlay_picker_redraws_the_chosen_losses(page, watch, live_server):
    page.goto(live_server.url + "/losses")
    assert "kto" in page.locator("section.overlay svg").text_content()  # KTO is in by default
    before = page.locator("section.overlay svg .series").count()
    assert "exo-pair" not in page.locator("section.overlay svg").text_content()
    page.locator(".overlay-picker input[value='exo-pair']").check()
    page.wait_for_url("**show=exo-pair**")
    assert page.locator("section.overlay svg .series").count() > before
    assert "exo-pair" in page.locator("section.overlay svg").text_content()
    assert page.locator(".overlay-picker input[value='exo-pair']").is_checked()
    assert_clean(watch)


@pytest.mark.parametrize("path", ["/losses", "/losses/dpo", "/losses/ppo", "/losses/mixture"])
def test_loss_pages_fit_a_phone(phone, watch, live_server, screenshot_dir, path):
    phone.goto(live_server.url + path)
    overflow = phone.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    shoot(phone, screenshot_dir, "phone" + path.replace("/", "-"), full_page=False)
    assert overflow <= 0
    assert_clean(watch)
