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


def test_ensemble_results_fit_the_plans_purpose_and_a_subset(page, grid_server):
    """Provinces: the ensemble's table shows the community metrics on both censuses and hides
    max |deviation| with a why; "show all" brings it back; a run on one governorate says so."""
    if page.locator("#job-start").count() == 0:
        pytest.skip("no job engine installed")
    page.locator("#plan-purpose").select_option("polities")
    page.wait_for_function("window.dayafter && document.querySelector('#plan-purpose').value === 'polities'")
    page.locator("#job-steps").fill("300")
    # one governorate lies in one stripe of the draft: refused with the engine's reason
    page.locator("#job-subset").select_option("governorate=GOV0")
    page.locator("#job-start").click()
    page.wait_for_function("document.querySelector('#status').textContent.includes('at least two regions')")
    # a district astride the two stripes (rows 0-1, columns 2-3): its 4 units change, the rest stays
    page.locator("#job-subset").select_option("district=D000-001")
    page.locator("#job-start").click()
    done = page.locator(".job[data-state='done']").first
    page.wait_for_selector(".job[data-state='done'] .ensemble-table", timeout=60_000)
    rows = done.locator(".ensemble-table tbody tr")
    columns = [rows.nth(i).get_attribute("data-column") for i in range(rows.count())]
    assert "max_abs_deviation" not in columns and "cut_edges" in columns
    for census in ("baseline", "current"):
        assert f"{census}/stranded:gamma" in columns and f"{census}/largest_share@1" in columns
    assert "stranded: Gamma" in done.locator(".ensemble-table").inner_text()
    assert "max |deviation|" in done.locator(".ensemble-hidden").inner_text()
    assert "district=D000-001" in done.inner_text()  # the subset the ensemble changed
    # the live line's last word covers the same fitting metrics
    assert "stranded: Gamma" in done.locator(".job-live").inner_text()
    page.locator("#show-all-metrics").check()
    page.wait_for_selector(".job[data-state='done'] tr[data-column='max_abs_deviation']")
    assert done.locator(".ensemble-hidden").count() == 0
