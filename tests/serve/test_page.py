"""The page at ``/`` driven in headless Chromium, from upload to download.

A coordinator chooses a broken workbook and sees its problems in a table (row and column), then
a good one, starts a solve, watches it finish, and downloads the report and the plan; every
downloaded file is the one the API serves. Skipped only where Chromium or its driver is not
installed (``.ci/run`` installs Debian's ``chromium`` and ``chromium-driver``).
"""

from __future__ import annotations

import shutil
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx2
import openpyxl
import pytest
from serve_support import small

from stagematch.io import write_dataset
from stagematch.serve import ServeConfig, in_background

CHROMIUM = next(
    (p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None
)
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None, reason="no Chromium or chromedriver installed"
)

DOWNLOADS = ("report.html", "report.xlsx", "letters.zip", "plan.zip", "result.json")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(tmp_path / "downloads")},
    )
    try:
        yield driver
    finally:
        driver.quit()


def _downloaded(folder: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        present = {p.name for p in folder.glob("*")} if folder.exists() else set()
        if present >= set(names) and not any(n.endswith(".crdownload") for n in present):
            return {name: (folder / name).read_bytes() for name in names}
        time.sleep(0.1)
    raise AssertionError(f"downloads missing: {sorted(set(names) - present)}")


def test_from_upload_to_download(browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser  # a selenium WebDriver
    good = write_dataset(small(30), tmp_path / "campagne.xlsx")
    broken = tmp_path / "broken.xlsx"
    workbook = openpyxl.load_workbook(good)
    sheet = workbook["offers"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=header.index("capacity") + 1, value="beaucoup")
    workbook.save(broken)

    with in_background(ServeConfig(data_dir=tmp_path / "data", jobs=1)) as url:
        driver.get(url + "/")  # type: ignore[attr-defined]
        wait = WebDriverWait(driver, 120)
        find = driver.find_element  # type: ignore[attr-defined]
        # The page fetches its words before it wires its buttons: wait until it says so.
        wait.until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("data-ready"))

        find(By.ID, "file").send_keys(str(broken))
        find(By.ID, "check").click()
        wait.until(lambda d: d.find_element(By.ID, "problems").is_displayed())
        rows = [
            [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in find(By.ID, "problems").find_elements(By.CSS_SELECTOR, "tbody tr")
        ]
        assert [row[:4] for row in rows] == [["offers", "3", "capacity", "beaucoup"]]
        assert find(By.ID, "validation").text == "Problems to fix before solving: 1"

        find(By.ID, "file").send_keys(str(good))
        find(By.ID, "check").click()
        wait.until(lambda d: "valid" in d.find_element(By.ID, "validation").text)
        assert "30 students" in find(By.ID, "validation").text
        assert not find(By.ID, "problems").is_displayed()

        find(By.ID, "time-limit").send_keys("30")
        find(By.ID, "solve").click()
        wait.until(
            lambda d: d.find_element(By.ID, "job-status").get_attribute("data-status") == "done"
        )
        assert "optimal plan" in find(By.ID, "job-detail").text
        assert find(By.ID, "job-progress").get_attribute("value") == "1"
        assert find(By.ID, "levels").is_displayed()

        for button in find(By.ID, "downloads").find_elements(By.TAG_NAME, "button"):
            button.click()
        files = _downloaded(tmp_path / "downloads", DOWNLOADS)

        with httpx2.Client(base_url=url) as client:
            (job,) = client.get("/v1/jobs").json()["jobs"]
            assert job["options"]["time_limit"] == 30
            for name in DOWNLOADS:
                path = "result" if name == "result.json" else name
                assert files[name] == client.get(f"/v1/jobs/{job['id']}/{path}").content, name
        listed = find(By.ID, "jobs").find_elements(By.CSS_SELECTOR, "tbody tr")
        assert len(listed) == 1 and "done" in listed[0].text

        # The same page in French: its words, the problems and the job's status.
        from selenium.webdriver.support.ui import Select

        Select(find(By.ID, "lang")).select_by_value("fr")
        wait.until(lambda d: d.find_element(By.ID, "check").text == "Vérifier les données")
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"  # type: ignore[attr-defined]
        wait.until(lambda d: d.find_element(By.ID, "job-status").text == "terminé")
        find(By.ID, "file").send_keys(str(broken))
        find(By.ID, "check").click()
        wait.until(lambda d: d.find_element(By.ID, "problems").is_displayed())
        assert find(By.ID, "validation").text == "Problèmes à corriger avant le calcul : 1"
        (row,) = find(By.ID, "problems").find_elements(By.CSS_SELECTOR, "tbody tr")
        french_message = row.find_elements(By.TAG_NAME, "td")[4].text
        assert french_message and french_message != rows[0][4]

    plan = zipfile.ZipFile(tmp_path / "downloads" / "plan.zip")
    assert "plan/assignments.csv" in plan.namelist()
    assert b"<html" in files["report.html"][:200].lower()
