// The live handover in two headless Chromium contexts (started by tests/test_handover_browser.py):
//   PAGE_URL=... STAFF_URL=.../staff STAFF=name PASSWORD=... SCREENSHOTS=reports/handover node tests/handover.test.js
// A citizen asks for a person; a staff member takes the conversation; two messages each way; the
// staff member hands back; the assistant answers again, and did not while the person talked.
// Prints one line per check; exits 1 on the first failure (screenshots of both sides then).
const { chromium } = require("playwright-core");

const PAGE_URL = process.env.PAGE_URL;
const STAFF_URL = (process.env.STAFF_URL || "").replace(/\/+$/, "");
const SHOTS = process.env.SCREENSHOTS || "handover";
const AXE = require.resolve("axe-core");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const TIMEOUT = 30000;

function check(condition, what) {
  if (!condition) throw new Error("failed: " + what);
  console.log("ok - " + what);
}

async function accessible(page, what) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate((tags) => axe.run(document, { runOnly: { type: "tag", values: tags } }), WCAG_TAGS);
  for (const v of result.violations) console.log(`  ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`);
  check(result.violations.length === 0, `${what}: no WCAG 2.1 A/AA violations (found ${result.violations.length})`);
}

const botTexts = (page) => page.$$eval(".rw-response", (nodes) => nodes.map((n) => n.innerText));

async function waitForBot(page, fragment) {
  await page.waitForFunction(
    (f) => [...document.querySelectorAll(".rw-response")].some((n) => n.innerText.includes(f)), fragment, { timeout: TIMEOUT });
}

async function send(page, text) {
  const input = page.locator(".rw-new-message");
  await input.fill(text);
  await input.press("Enter");
}

// The staff member's transcript updates itself (static/live.js); wait until it shows `fragment`.
async function waitInLog(page, fragment) {
  await page.waitForFunction((f) => (document.getElementById("verloop") || { innerText: "" }).innerText.includes(f),
    fragment, { timeout: TIMEOUT }).catch(() => { throw new Error(`failed: "${fragment}" did not appear in the staff member's transcript`); });
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true });
  const citizenContext = await browser.newContext({ viewport: { width: 900, height: 900 }, locale: "nl-BE" });
  const staffContext = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: "nl-BE", bypassCSP: true });
  const citizen = await citizenContext.newPage();
  const staff = await staffContext.newPage();
  try {
    // Signed out, nothing of the console answers.
    const refused = await staff.goto(`${STAFF_URL}/overdracht`);
    check(new URL(refused.url()).pathname === "/staff/aanmelden", "without signing in the queue sends to the sign-in page");

    // The staff member has the queue open before the citizen asks: it updates without a reload.
    await staff.goto(`${STAFF_URL}/aanmelden`);
    await staff.fill("#naam", process.env.STAFF);
    await staff.fill("#wachtwoord", process.env.PASSWORD);
    await Promise.all([staff.waitForNavigation(), staff.press("#wachtwoord", "Enter")]);
    const opened = await staff.goto(`${STAFF_URL}/overdracht`);
    const take = staff.locator("form[action$='/nemen'] button");
    check(opened.status() === 200 && (await staff.locator("h1").innerText()).includes("Wachtrij"), "the queue page opens");
    check((await take.count()) === 0 && (await staff.locator("#wachtrij").innerText()).includes("Niemand wacht"), "nobody waits yet");

    await citizen.goto(PAGE_URL);
    await waitForBot(citizen, "Waarmee kan ik je helpen?");
    await send(citizen, "Ik wil graag met een medewerker praten");
    await waitForBot(citizen, "in de wachtrij");
    check((await botTexts(citizen)).join("\n").includes("nummer 1"), "the citizen is told their place in the queue (1)");
    await take.first().waitFor({ timeout: TIMEOUT });
    check((await take.count()) === 1, "the open queue page shows the waiting citizen without a reload");
    await accessible(staff, "the queue page");
    await staff.screenshot({ path: `${SHOTS}-queue.png`, fullPage: true });
    await Promise.all([staff.waitForNavigation(), take.click()]);
    check(/\/overdracht\/\d+$/.test(staff.url()), "taking the conversation opens it");
    await waitInLog(staff, "Ik wil graag met een medewerker praten");
    check(true, "the staff member reads what was said before");
    await waitForBot(citizen, "(medewerker): Hallo");
    check(true, "the citizen sees that a staff member took over, by first name");

    // Two messages each way.
    const write = async (text) => {
      await staff.fill("#bericht", text);
      await Promise.all([staff.waitForNavigation(), staff.click("form[action$='/bericht'] button")]);
    };
    await write("Goeiedag, ik ben Sofie. Waarmee kan ik je helpen?");
    await waitForBot(citizen, "Sofie (medewerker): Goeiedag");
    check(true, "staff message 1 reaches the citizen's chat, marked with the first name");
    const before = (await botTexts(citizen)).length;
    await send(citizen, "Wanneer is het loket in Berendrecht open?");
    await waitInLog(staff, "Wanneer is het loket in Berendrecht open?");
    check(true, "citizen message 1 reaches the staff member");
    await write("Berendrecht is één dag per week open. Ik kijk even welke dag.");
    await waitForBot(citizen, "Ik kijk even welke dag");
    check(true, "staff message 2 reaches the citizen");
    await send(citizen, "Dank je, ik wacht even");
    await waitInLog(staff, "Dank je, ik wacht even");
    check(true, "citizen message 2 reaches the staff member");
    const during = (await botTexts(citizen)).slice(before);
    // Between staff message 1 and now: the citizen's two messages got no answer of the assistant's.
    check(during.length === 1 && during[0].includes("Sofie (medewerker): Berendrecht is één dag"),
      `while the person talked the assistant said nothing (${during.length} answer since, from the staff member)`);
    await accessible(staff, "the conversation page");
    await staff.screenshot({ path: `${SHOTS}-staff-talking.png`, fullPage: true });
    await citizen.screenshot({ path: `${SHOTS}-citizen-talking.png`, fullPage: true });

    await Promise.all([staff.waitForNavigation(), staff.click("form[action$='/teruggeven'] button")]);
    await waitForBot(citizen, "Je praat weer met de digitale assistent");
    check(true, "handed back: the citizen is told the assistant answers again");
    const handedBack = (await botTexts(citizen)).length;
    await send(citizen, "Wanneer is het loket in Berendrecht open?");
    await citizen.waitForFunction((n) => document.querySelectorAll(".rw-response").length > n, handedBack, { timeout: TIMEOUT });
    await waitForBot(citizen, "woensdag");
    check(true, "after handing back, the assistant answers again (Berendrecht: dinsdag/woensdag)");
    check((await staff.locator("form[action$='/nemen'] button").count()) === 0, "the queue is empty again");
  } catch (error) {
    console.error(error.message);
    await citizen.screenshot({ path: `${SHOTS}-citizen-failed.png`, fullPage: true }).catch(() => {});
    await staff.screenshot({ path: `${SHOTS}-staff-failed.png`, fullPage: true }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
  await browser.close();
})();
