"""A running ensemble in Chromium shows the open plan's percentile on each streamed metric, and
the server's job messages read in Arabic and Kurdish like the rest of the page."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_live_percentile_and_arabic_job_messages(page, grid_server):
    if page.locator("#job-start").count() == 0:
        pytest.skip("no job engine installed")
    page.locator("#language").select_option("ar")
    page.wait_for_function("document.documentElement.dir === 'rtl'")
    page.locator("#job-steps").fill("2000000")
    page.locator("#job-start").click()
    job = page.locator(".job").first
    page.wait_for_selector(".job[data-state='running']")
    # the chain writes a block of 10,000 steps, then the percentile appears and moves on
    page.wait_for_function("document.querySelector('.job .job-live').textContent.length > 0", timeout=60_000)
    live = job.locator(".job-live").inner_text()
    assert "رتبة الخطة المفتوحة المئوية" in live
    assert re.search(r"[٠-٩]+٪", live), live  # percentages in Arabic digits
    label = job.locator("div").first.inner_text()
    assert "مجموعة من" in label and "ReCom" in label  # the job's label, translated
    assert "خطوة" in job.inner_text() and " of " not in job.inner_text()
    job.locator("button").first.click()  # cancel (its only button)
    page.wait_for_selector(".job[data-state='cancelled']", timeout=30_000)
    page.wait_for_function("document.querySelector('.job').textContent.includes('أُلغيت')")
    # Kurdish: the same message in Sorani after switching
    page.locator("#language").select_option("ckb")
    page.wait_for_function("document.documentElement.lang === 'ckb'")
    page.wait_for_function("document.querySelector('.job') && document.querySelector('.job').textContent.includes('هەنگاوی ReCom')")
