// The staff page (/staff on the Rasa server) in headless Debian Chromium, driven by playwright-core.
// Started by tests/test_web_widget.py, which serves the trained assistant and makes both accounts:
//   STAFF_URL=http://127.0.0.1:5005/staff TRAINEE=an.peeters TEAMLEAD=els.lead PASSWORD=... \
//   CHROMIUM=/usr/bin/chromium SCREENSHOT_TEAM=reports/staff-team.png node tests/staff.test.js
// A trainee does a whole round with the keyboard only; axe-core checks every kind of page against
// WCAG 2.1 A and AA; the team lead's page shows the chart and the table.
// Prints one line per check; exits 1 on the first failed check, or at the end if axe found violations.
const { chromium } = require("playwright-core");

const STAFF_URL = (process.env.STAFF_URL || "http://localhost:5005/staff").replace(/\/+$/, "");
const TRAINEE = process.env.TRAINEE;
const TEAMLEAD = process.env.TEAMLEAD;
const PASSWORD = process.env.PASSWORD;
const SCREENSHOT_TEAM = process.env.SCREENSHOT_TEAM || "staff-team.png";
const AXE = require.resolve("axe-core");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const TIMEOUT = 30000;
const MAX_STEPS = 20; // 5 questions, each answered at most twice (one follow-up)

// The trainee's words: the first answer is vague on purpose (so the citizen asks a follow-up),
// the answer to a follow-up names a few real things.
const FIRST_ANSWER = "Dat moet ik even voor u nakijken, een ogenblik.";
const FOLLOW_UP_ANSWER = "Dat kan online via het e-loket, of u maakt een afspraak en brengt uw identiteitskaart mee.";

const violations = [];

function check(condition, what) {
  if (!condition) throw new Error("failed: " + what);
  console.log("ok - " + what);
}

// axe-core in the page. The pages forbid every script (CSP default-src 'none'), so the contexts
// bypass the CSP for the injected axe source only; the pages themselves run no script.
async function accessible(page, what) {
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.addScriptTag({ path: AXE });
  }
  const result = await page.evaluate(
    (tags) => axe.run(document, { runOnly: { type: "tag", values: tags } }),
    WCAG_TAGS
  );
  if (result.violations.length === 0) {
    console.log(`ok - ${what}: no WCAG 2.1 A/AA violations (axe-core ${result.testEngine.version})`);
    return;
  }
  console.log(`not ok - ${what}: ${result.violations.length} WCAG 2.1 A/AA violation(s) at ${page.url()}`);
  for (const v of result.violations) {
    violations.push({ page: what, id: v.id });
    console.log(`  ${v.id} (${v.impact}): ${v.help} [${v.tags.join(", ")}] ${v.helpUrl}`);
    for (const node of v.nodes) {
      console.log(`    at ${node.target.join(" ")}: ${node.html}`);
      for (const line of (node.failureSummary || "").split("\n")) console.log(`      ${line}`);
    }
  }
}

// Presses Tab until the focused element satisfies `test` (run in the page with `arg`).
async function tabTo(page, test, arg, what, limit = 40) {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(test, arg)) return;
  }
  throw new Error(`failed: ${what} is not reachable with Tab`);
}

const focusedMatches = (selector) => Boolean(document.activeElement && document.activeElement.matches(selector));
const focusVisible = () => Boolean(document.activeElement && document.activeElement.matches(":focus-visible"));

// A key that submits a form, and the page it leads to (after the 303).
async function pressAndWait(page, key) {
  await Promise.all([page.waitForNavigation({ timeout: TIMEOUT }), page.keyboard.press(key)]);
}

async function signIn(page, name) {
  await page.goto(`${STAFF_URL}/aanmelden`);
  await page.locator("#naam").focus(); // the one element focused directly; the rest is Tab
  await page.keyboard.type(name);
  await page.keyboard.press("Tab");
  check(await page.evaluate(focusedMatches, "#wachtwoord"), `Tab goes from the name to the password (${name})`);
  await page.keyboard.type(PASSWORD);
  await pressAndWait(page, "Enter");
  check(new URL(page.url()).pathname === "/staff/", `${name} is signed in and on the home page`);
}

async function newContext(browser) {
  return browser.newContext({ viewport: { width: 1024, height: 900 }, locale: "nl-BE", bypassCSP: true });
}

async function trainee(browser) {
  const context = await newContext(browser);
  const page = await context.newPage();
  try {
    const response = await page.goto(`${STAFF_URL}/aanmelden`);
    check(response.status() === 200 && (await page.getAttribute("html", "lang")) === "nl", "the sign-in page answers, in Dutch");
    check((response.headers()["content-security-policy"] || "").includes("default-src 'none'"), "the staff pages forbid scripts (CSP)");
    check((await page.$$("script")).length === 0, "the sign-in page has no script");
    await accessible(page, "the sign-in page");

    await signIn(page, TRAINEE);
    await accessible(page, "the home page");

    // Start a round "Alles door elkaar" (the first topic) with the keyboard.
    await tabTo(
      page,
      () => {
        const el = document.activeElement;
        return Boolean(el && el.name === "onderwerp" && el.labels[0] && el.labels[0].innerText.trim() === "Alles door elkaar");
      },
      undefined,
      "the topic 'Alles door elkaar'"
    );
    await page.keyboard.press("Space");
    check(await page.evaluate(() => document.activeElement.checked), "'Alles door elkaar' is chosen with Tab and Space");
    check(await page.evaluate(focusVisible), "the focused topic shows a visible focus");
    await tabTo(page, focusedMatches, 'form[action$="/oefenen"] button[type=submit]', "the button 'Start een ronde'");
    check((await page.evaluate(() => document.activeElement.innerText.trim())) === "Start een ronde", "Tab reaches 'Start een ronde'");
    await pressAndWait(page, "Enter");
    check(/\/staff\/oefenen\/\d+$/.test(new URL(page.url()).pathname), "a round has started");

    let expected = 1;
    let followUps = 0;
    let answers = 0;
    let feedbacks = 0;
    let sourceSeen = false;
    const audited = new Set();
    for (let step = 0; step < MAX_STEPS; step += 1) {
      const feedback = page.locator("section.feedback");
      if (await feedback.count()) {
        feedbacks += 1;
        const heading = (await page.locator("#feedback").innerText()).trim();
        check(heading === `Zo deed je het bij vraag ${expected - 1}`, `feedback on question ${expected - 1}: "${heading}"`);
        const items = await feedback.locator("li").allInnerTexts();
        check(items.length > 0 && items.every((t) => /^(Goed|Ontbrak|Niet juist)\b/.test(t.trim())), `question ${expected - 1}: every fact is graded Goed/Ontbrak/Niet juist (${items.length})`);
        const sources = await feedback.locator(".source").allInnerTexts();
        check(sources.length === items.length && sources.every((s) => /^\((bron [A-Z]+\d+|aanname( [A-Z]+\d+)?)\)$/.test(s.trim())), `question ${expected - 1}: every fact names its source (${sources.join(" ")})`);
        sourceSeen = sourceSeen || sources.some((s) => s.includes("(bron A") || s.includes("(aanname"));
        if (!audited.has("feedback")) {
          audited.add("feedback");
          await accessible(page, "a feedback page");
        }
      }
      if (await page.locator("#score").count()) break;

      const heading = (await page.locator("#vraag").innerText()).trim();
      check(heading === `Vraag ${expected} van 5`, `the page asks "${heading}"`);
      const isFollowUp = (await page.locator(".follow-up").count()) > 0;
      if (isFollowUp) {
        followUps += 1;
        console.log(`# follow-up: ${(await page.locator(".follow-up").innerText()).trim()}`);
      } else {
        console.log(`# citizen: ${(await page.locator(".citizen").first().innerText()).trim()}`);
      }
      const kind = isFollowUp ? "a follow-up question page" : "a question page";
      if (!audited.has(kind)) {
        audited.add(kind);
        await accessible(page, kind);
      }

      await tabTo(page, focusedMatches, "textarea#antwoord", "the field 'Jouw antwoord'");
      await page.keyboard.type(isFollowUp ? FOLLOW_UP_ANSWER : FIRST_ANSWER);
      await tabTo(page, focusedMatches, 'form[action$="/antwoord"] button[type=submit]', "the button 'Antwoord versturen'", 5);
      check(await page.evaluate(focusVisible), `question ${expected}: the focused 'Antwoord versturen' shows a visible focus`);
      await pressAndWait(page, answers % 2 ? "Space" : "Enter"); // both keys press a button
      answers += 1;
      if (!isFollowUp && (await page.locator(".follow-up").count()) > 0) continue; // same question
      expected += 1;
    }

    check((await page.locator("#score").innerText()).trim() === "Je score", `"Je score" after ${answers} answers`);
    check(expected === 6 && feedbacks === 5, "feedback was shown for each of the 5 questions");
    check(followUps > 0, `the citizen asked follow-up questions and they were answered (${followUps})`);
    check(sourceSeen, 'the feedback shows a source like "(bron A..." or "(aanname ...)"');
    const scoreRows = await page.locator("section[aria-labelledby=score] table tbody tr").allInnerTexts();
    check(
      (await page.locator("section[aria-labelledby=score] table caption").innerText()).trim() === "Feiten juist per onderwerp" &&
        scoreRows.length > 0 && scoreRows.every((r) => /\d+ van \d+\s+\d+%/.test(r)),
      `the score table has a row per topic (${scoreRows.map((r) => r.replace(/\s+/g, " ").trim()).join("; ")})`
    );
    await accessible(page, "the score page");
  } catch (error) {
    await page.screenshot({ path: SCREENSHOT_TEAM.replace(/\.png$/, "-trainee-failed.png"), fullPage: true }).catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
}

async function teamLead(browser) {
  const context = await newContext(browser);
  const page = await context.newPage();
  try {
    await signIn(page, TEAMLEAD);
    const response = await page.goto(`${STAFF_URL}/team`);
    check(response.status() === 200, "the team lead opens /staff/team");
    const charts = page.locator("svg[role=img]");
    check((await charts.count()) >= 2, "the page has a chart for the team and one per trainee (svg role=img)");
    const chartTitles = await page.locator("figure h2").allInnerTexts();
    check(chartTitles.map((t) => t.trim()).includes(TRAINEE), `a chart is titled with the trainee's name (${chartTitles.join(", ")})`);
    const chart = charts.first();
    check((await chart.locator("text.bar-heading").count()) >= 1, "the team chart groups its facts by topic");
    check((await chart.getAttribute("aria-labelledby")) && (await chart.locator("title").count()) === 1, "the chart has an accessible title");
    const bars = await chart.locator("rect.bar").evaluateAll((rects) => rects.map((r) => Number(r.getAttribute("width"))));
    check(bars.length >= 1 && bars.some((w) => w > 0), `the chart has bars (${bars.length}, widths ${bars.join(" ")})`);
    const trainees = await page.locator("table tbody tr td:nth-child(3)").allInnerTexts();
    check(trainees.map((t) => t.trim()).includes(TRAINEE), `the table names the trainee ${TRAINEE} (${trainees.length} rows)`);
    check((await page.locator('a[href$="/team.csv"]').count()) === 1, "the page links the CSV");
    await accessible(page, "the team lead's page");
    await page.screenshot({ path: SCREENSHOT_TEAM, fullPage: true });
    console.log(`ok - screenshot of the team page in ${SCREENSHOT_TEAM}`);

    // Review: the conversations of the chat test that ran before this one (same servers), masked.
    await page.goto(`${STAFF_URL}/gesprekken`);
    const rows = page.locator("table tbody tr");
    check((await rows.count()) >= 1, `the team lead sees the citizens' conversations (${await rows.count()})`);
    await accessible(page, "the list of conversations");
    await page.selectOption("#filter", "afspraak_afgebroken");
    await page.locator('form[action$="/gesprekken"] button[type=submit]').click();
    check(page.url().includes("filter=afspraak_afgebroken"), "the filter is applied");
    await page.goto(`${STAFF_URL}/gesprekken`);
    await rows.first().locator("a").click();
    const transcript = await page.locator("main").innerText();
    check(/burger/.test(transcript) && /assistent/.test(transcript), "a transcript shows who said what");
    const leaked = (process.env.CITIZEN_SECRETS || "").split("|").filter((s) => s && transcript.toLowerCase().includes(s.toLowerCase()));
    check(leaked.length === 0, `no name, contact or code of the chat test in the transcript (${leaked.join(", ")})`);
    await accessible(page, "a conversation's transcript");
    const transcriptShot = SCREENSHOT_TEAM.replace(/staff-team/, "review-transcript");
    await page.screenshot({ path: transcriptShot, fullPage: true });
    console.log(`ok - screenshot of a masked transcript in ${transcriptShot}`);

    await page.goto(`${STAFF_URL}/cijfers`);
    const summary = await page.locator("main table").first().innerText();
    check(/Gesprekken\s+[1-9]/.test(summary), `the figures count the conversations (${summary.split("\n")[0]})`);
    check((await page.locator("svg[role=img] rect.bar").count()) === 30, "the figures chart has a bar per day (30)");
    check((await page.locator('a[href$="/cijfers.csv"]').count()) === 1, "the figures page links the CSV");
    await accessible(page, "the figures page");
    const figuresShot = SCREENSHOT_TEAM.replace(/staff-team/, "figures");
    await page.screenshot({ path: figuresShot, fullPage: true });
    console.log(`ok - screenshot of the figures page in ${figuresShot}`);
  } catch (error) {
    await page.screenshot({ path: SCREENSHOT_TEAM.replace(/\.png$/, "-failed.png"), fullPage: true }).catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
}

(async () => {
  if (!TRAINEE || !TEAMLEAD || !PASSWORD) {
    console.error("set TRAINEE, TEAMLEAD and PASSWORD (and STAFF_URL)");
    process.exit(2);
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true });
  try {
    await trainee(browser);
    await teamLead(browser);
  } catch (error) {
    console.error(error.message.startsWith("failed: ") ? error.message : error.stack);
    await browser.close();
    process.exit(1);
  }
  await browser.close();
  if (violations.length) {
    console.error(`failed: axe-core found ${violations.length} WCAG 2.1 A/AA violation(s): ` +
      violations.map((v) => `${v.id} on ${v.page}`).join("; "));
    process.exit(1);
  }
  console.log("ok - no WCAG 2.1 A/AA violations on the staff pages");
})();
