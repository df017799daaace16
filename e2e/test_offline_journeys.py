"""A visit is never lost nor stored twice on a phone with a weak signal: journeys in chromium with its network cut."""

import datetime as dt
import io
import time

import pytest
from PIL import Image

from e2e.conftest import PHONE, log_in, wait_for_path
from households.choices import AssignmentRole
from households.tests.factories import AssignmentFactory, HouseholdFactory
from visits.models import Visit, VisitPhoto

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("default_visit_rules")]


@pytest.fixture
def phone(browser, live_server):
    """A phone whose network can be cut: failed loads are expected then; a script error never is."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    yield page
    context.close()
    assert errors == []


def until(check, seconds=20):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.2)


def due_household(village, person):
    household = HouseholdFactory(village=village, registered_on=dt.date(2019, 1, 1), head__name="王秀英")
    AssignmentFactory(household=household, person=person, role=AssignmentRole.RESPONSIBLE)
    return household


def ready_for_offline(page, household):
    """The service worker controls the page, and the phone keeps the household and the pages for offline use."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    until(lambda: page.evaluate("() => Boolean(navigator.serviceWorker.controller)"))
    until(lambda: page.evaluate("id => TownAidOutbox.household(id).then(Boolean)", household.pk))
    kept = "() => caches.open('townaid-pages').then(c => c.keys()).then(k => k.length)"
    until(lambda: page.evaluate(kept) == 3)


def log_out(page):
    page.click(".navbar-toggler")  # the menu, folded on a phone
    page.wait_for_selector("#main-nav.show")  # unfolded: a tap while it slides open lands nowhere
    page.click("form[data-logout] button")


def waiting_on_phone(page) -> str:
    badge = page.locator("[data-outbox-badge]")
    return "" if badge.is_hidden() else badge.locator("[data-outbox-count]").inner_text()


def camera_photo(folder, size=(4000, 3000), orientation=6):
    """A phone camera's JPEG: large, with the EXIF orientation that says how to turn it."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(buffer, "JPEG", quality=95, exif=exif)
    path = folder / "camera.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def test_a_visit_saved_with_no_signal_waits_on_the_phone_and_is_stored_once_when_the_signal_returns(
    phone, helper, dongfeng, tmp_path
):
    household = due_household(dongfeng, helper)
    log_in(phone, "helper")
    phone.goto("/visits/due/")
    ready_for_offline(phone, household)
    phone.goto(f"/visits/log/?household={household.pk}&next=/visits/due/")

    phone.context.set_offline(True)
    phone.fill("#id_findings", "户主腿伤好转，可以下地")
    phone.set_input_files("#id_photos", str(camera_photo(tmp_path)))
    phone.wait_for_selector("[data-photo-list] img")
    phone.click("main button[type=submit]")
    until(lambda: waiting_on_phone(phone) == "1")
    assert Visit.objects.count() == 0

    phone.goto("/visits/due/")  # no signal: the due list the phone kept
    assert "王秀英" in phone.content() or household.number in phone.content()
    phone.goto(f"/visits/log/?household={household.pk}")  # no signal: the form's shell, filled from the phone
    until(lambda: "王秀英" in phone.locator("[data-household-title]").inner_text())  # filled once the phone answers
    phone.goto("/visits/outbox/")
    assert phone.locator("[data-outbox-list] li[data-state=waiting]").count() == 1

    phone.context.set_offline(False)
    until(lambda: Visit.objects.count() == 1)
    until(lambda: phone.locator("[data-outbox-list] li[data-state=sent]").count() == 1)

    visit = Visit.objects.get()
    assert (visit.household, visit.visitor, visit.findings) == (household, helper, "户主腿伤好转，可以下地")
    assert visit.offline
    assert visit.made_at <= visit.received_at
    assert visit.photos.count() == 1
    assert waiting_on_phone(phone) == ""
    phone.evaluate("() => TownAidOutbox.sendAll()")  # a resend of everything changes nothing
    assert Visit.objects.count() == 1


def test_a_visit_saved_after_the_session_ended_waits_for_the_login_and_is_then_sent(phone, helper, dongfeng):
    household = due_household(dongfeng, helper)
    log_in(phone, "helper")
    phone.goto(f"/visits/log/?household={household.pk}")
    phone.fill("#id_findings", "会话过期前写下的走访")

    phone.context.clear_cookies()  # the session ends while the visit is being typed
    phone.click("main button[type=submit]")
    until(lambda: waiting_on_phone(phone) == "1")
    assert Visit.objects.count() == 0

    log_in(phone, "helper")
    until(lambda: Visit.objects.count() == 1)
    assert Visit.objects.get().findings == "会话过期前写下的走访"
    until(lambda: waiting_on_phone(phone) == "")


def test_back_after_saving_shows_the_visit_as_sent_and_cannot_store_it_again(phone, helper, dongfeng):
    household = due_household(dongfeng, helper)
    log_in(phone, "helper")
    phone.goto(f"/visits/log/?household={household.pk}&next=/visits/due/")
    phone.fill("#id_findings", "只存一次")
    phone.wait_for_url("**draft=*")  # the draft exists, under its key, from the first keystroke
    phone.dblclick("main button[type=submit]")  # a double tap
    wait_for_path(phone, "/visits/due/")

    phone.go_back()
    phone.wait_for_selector("[data-visit-status]:not([hidden])")
    assert phone.locator("main button[type=submit]").is_disabled()
    assert phone.input_value("#id_findings") == "只存一次"
    assert Visit.objects.count() == 1


def test_a_large_phone_photo_is_made_small_on_the_phone_keeping_its_orientation(phone, helper, dongfeng, tmp_path):
    household = due_household(dongfeng, helper)
    photo = camera_photo(tmp_path, orientation=6)  # the camera was held upright: turn 90 degrees to show it
    log_in(phone, "helper")
    phone.goto(f"/visits/log/?household={household.pk}&next=/visits/due/")

    phone.set_input_files("#id_photos", str(photo))
    phone.wait_for_selector("[data-photo-list] img")
    phone.click("main button[type=submit]")
    wait_for_path(phone, "/visits/due/")

    stored = VisitPhoto.objects.get()
    assert (stored.width, stored.height) == (1200, 1600)  # upright, and 1600 px on the long side


# What the phone holds, read straight from IndexedDB (the login page loads none of the app's scripts).
KEPT = """() => new Promise((resolve) => {
  const opening = indexedDB.open("townaid");
  opening.onsuccess = () => {
    const tx = opening.result.transaction(["households", "visits"]);
    const households = tx.objectStore("households").count();
    const visits = tx.objectStore("visits").getAll();
    tx.oncomplete = () => resolve({households: households.result, visits: visits.result.map(v => [v.user, v.state])});
  };
})"""


def test_logging_out_takes_the_users_households_pages_and_sent_visits_off_the_phone(phone, helper, dongfeng):
    household = due_household(dongfeng, helper)
    log_in(phone, "helper")
    phone.goto("/visits/due/")
    ready_for_offline(phone, household)
    phone.goto(f"/visits/log/?household={household.pk}&next=/visits/due/")
    phone.fill("#id_findings", "已发送的走访")
    phone.wait_for_url("**draft=*")
    phone.click("main button[type=submit]")
    wait_for_path(phone, "/visits/due/")
    dialogs = []
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))

    log_out(phone)
    phone.wait_for_url("**/accounts/login/**")

    assert phone.evaluate(KEPT) == {"households": 0, "visits": []}
    assert phone.evaluate("() => caches.has('townaid-pages')") is False
    assert dialogs == []  # nothing waited, so nothing to warn of


def test_logging_out_with_a_visit_still_unsent_warns_and_keeps_it_for_its_writer(phone, helper, dongfeng):
    household = due_household(dongfeng, helper)
    log_in(phone, "helper")
    phone.goto(f"/visits/log/?household={household.pk}")
    phone.context.route("**/visits/sync/", lambda route: route.abort())  # no way through, service worker included
    phone.fill("#id_findings", "还没发送的走访")
    phone.click("main button[type=submit]")
    until(lambda: waiting_on_phone(phone) == "1")
    dialogs = []
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))

    log_out(phone)
    phone.wait_for_url("**/accounts/login/**")

    assert len(dialogs) == 1
    assert "1" in dialogs[0]
    assert phone.evaluate(KEPT) == {"households": 0, "visits": [[helper.pk, "waiting"]]}
    assert Visit.objects.count() == 0


def test_a_waiting_visit_for_a_household_moved_out_of_scope_stays_on_the_phone_with_the_reason(
    phone, alice, dongfeng, hongqi
):
    household = HouseholdFactory(village=dongfeng, registered_on=dt.date(2019, 1, 1))
    log_in(phone, "alice")
    phone.goto(f"/visits/log/?household={household.pk}")
    phone.context.set_offline(True)
    phone.fill("#id_findings", "写好时还在本村")
    phone.click("main button[type=submit]")
    until(lambda: waiting_on_phone(phone) == "1")

    household.village = hongqi  # moved to another village: out of the cadre's reach
    household.save(update_fields=["village"])
    phone.context.set_offline(False)
    phone.goto("/visits/outbox/")
    row = phone.locator("[data-outbox-list] li[data-state=attention]")
    row.wait_for()

    assert "本村" not in row.locator("[data-row=message]").inner_text()
    assert row.locator("[data-row=message]").inner_text() != ""
    assert Visit.objects.count() == 0
    assert waiting_on_phone(phone) == "1"  # it still needs the cadre


def test_an_unsent_visit_of_one_user_is_neither_shown_nor_sent_for_another_on_the_same_phone(
    phone, helper, alice, dongfeng
):
    household = due_household(dongfeng, helper)
    log_in(phone, "helper")
    phone.goto(f"/visits/log/?household={household.pk}")
    phone.context.set_offline(True)
    phone.fill("#id_findings", "helper 的走访")
    phone.click("main button[type=submit]")
    until(lambda: waiting_on_phone(phone) == "1")
    # Helper's session ends while the phone is still offline and off the app's pages, so no request of hers is
    # still in flight when the signal returns (its reply would set her cookies again under alice's login).
    phone.goto("about:blank")
    phone.context.clear_cookies()
    phone.context.set_offline(False)

    log_in(phone, "alice")
    phone.goto("/visits/outbox/")
    phone.wait_for_selector("[data-outbox-empty]:not([hidden])")
    assert waiting_on_phone(phone) == ""
    assert Visit.objects.count() == 0
    # It waits on the phone for its writer.
    assert phone.evaluate("id => TownAidOutbox.records(id).then(r => r.length)", helper.pk) == 1


def test_a_different_version_under_a_stored_key_is_shown_beside_the_stored_one_and_replaces_it_when_chosen(
    phone, helper, dongfeng
):
    household = due_household(dongfeng, helper)
    log_in(phone, "helper")
    phone.goto(f"/visits/log/?household={household.pk}&next=/visits/due/")
    phone.fill("#id_findings", "第一次写的")
    phone.wait_for_url("**draft=*")
    phone.click("main button[type=submit]")
    wait_for_path(phone, "/visits/due/")
    # The reply was lost and the phone, thinking it unsent, let the visitor change it before sending it again.
    phone.evaluate(
        """() => TownAidOutbox.records(TownAidOffline.user).then(([record]) => {
             record.state = "waiting"; record.fields.findings = "改过的";
             return TownAidOutbox.put(record);
           })"""
    )

    phone.goto("/visits/outbox/")
    phone.click("[data-send-now]")
    row = phone.locator("[data-outbox-list] li[data-state=attention]")
    row.wait_for()
    assert "第一次写的" in row.locator("[data-row=conflict]").inner_text()
    assert Visit.objects.get().findings == "第一次写的"  # nothing overwritten by itself

    row.get_by_role("button", name="使用本机上的版本").click()
    phone.locator("[data-outbox-list] li[data-state=sent]").wait_for()
    visit = Visit.objects.get()
    assert visit.findings == "改过的"
    assert visit.conflicts.get().resolution == "replaced"
