// The chat page in headless Debian Chromium, driven by playwright-core (no browser download).
// Started by tests/test_web_widget.py, which serves the page and both servers:
//   PAGE_URL=http://127.0.0.1:8080 CHROMIUM=/usr/bin/chromium SCREENSHOT=reports/booking.png node tests/browser.test.js
// Prints one line per check; exits 1 on the first failure.
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const PAGE_URL = process.env.PAGE_URL || "http://localhost:8080";
const SCREENSHOT = process.env.SCREENSHOT || "booking.png";
const NAME = "Lotte Vermeulen";
const MARKUP = "<img src=x onerror=alert(1)>";
const TIMEOUT = 30000;
const AXE = require.resolve("axe-core");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

// axe-core's WCAG 2.1 A/AA rules on the page as it is now; every violation is printed, then fails.
async function accessible(page, what) {
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.addScriptTag({ path: AXE });
  }
  const result = await page.evaluate((tags) => axe.run(document, { runOnly: { type: "tag", values: tags } }), WCAG_TAGS);
  for (const v of result.violations) {
    console.log(`  ${v.id} (${v.impact}): ${v.help} ${v.helpUrl}`);
    for (const node of v.nodes) console.log(`    ${node.target.join(" ")}: ${node.failureSummary.replace(/\s+/g, " ")}`);
  }
  check(result.violations.length === 0,
    `${what}: no WCAG 2.1 A/AA violations (axe-core ${result.testEngine.version}; found ${result.violations.length})`);
}

function check(condition, what) {
  if (!condition) throw new Error("failed: " + what);
  console.log("ok - " + what);
}

async function botTexts(page) {
  return page.$$eval(".rw-response .rw-message-text, .rw-response", (nodes) => nodes.map((n) => n.innerText));
}

async function waitForBot(page, fragment) {
  await page.waitForFunction(
    (f) => [...document.querySelectorAll(".rw-response")].some((n) => n.innerText.includes(f)),
    fragment,
    { timeout: TIMEOUT }
  );
}

async function send(page, text) {
  const input = page.locator(".rw-new-message");
  await input.fill(text);
  await input.press("Enter");
}

// The manage link's token from the confirmation e-mail in the outbox (the file transport).
async function tokenFromOutbox(folder, code) {
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    const files = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.endsWith(".eml")) : [];
    for (const file of files) {
      // quoted-printable: soft line breaks out, =XX decoded
      const text = fs.readFileSync(path.join(folder, file), "latin1")
        .replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (m, hex) => String.fromCharCode(parseInt(hex, 16)));
      const token = text.includes(code) && (text.match(/#afspraak=([A-Za-z0-9_-]{43})/) || [])[1];
      if (token) return token;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("failed: no confirmation with a manage link for " + code + " in " + folder);
}

async function clickReply(page, title) {
  const before = await page.locator(".rw-response").count();
  const reply = title
    ? page.locator(".rw-reply", { hasText: title }).last()
    : page.locator(".rw-replies").last().locator(".rw-reply").first();
  await reply.waitFor({ timeout: TIMEOUT });
  const label = (await reply.innerText()).trim();
  await reply.click();
  await page.waitForFunction((n) => document.querySelectorAll(".rw-response").length > n, before, { timeout: TIMEOUT });
  return label;
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true });
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: "nl-BE" });
  const page = await context.newPage();
  let dialogs = 0;
  page.on("dialog", async (dialog) => { dialogs += 1; await dialog.dismiss(); });
  try {
    await page.goto(PAGE_URL);
    check((await page.getAttribute("html", "lang")) === "nl", "the page is in Dutch");
    await waitForBot(page, "Waarmee kan ik je helpen?");
    const first = await botTexts(page);
    check(!first.some((t) => t.includes("begrijp ik niet")), "the opening payload gets the welcome, not a fallback");
    check((await page.getAttribute(".rw-new-message", "placeholder")) === "Typ hier je vraag", "Dutch placeholder");
    await page.locator(".rw-new-message").fill("iets");  // the send button is enabled once there is text
    check(Boolean(await page.getAttribute(".rw-send", "aria-label")), "the send button has an accessible name");
    await accessible(page, "the chat page with the welcome");
    await page.locator(".rw-new-message").fill("");

    // Keyboard: Tab reaches the message field.
    await page.locator("body").focus();
    let focused = false;
    for (let i = 0; i < 25 && !focused; i += 1) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => document.activeElement && document.activeElement.classList.contains("rw-new-message"));
    }
    check(focused, "the message field is reachable with Tab");

    await send(page, "Wanneer is het loket in Berendrecht open?");
    await waitForBot(page, "woensdag");
    const berendrecht = (await botTexts(page)).join("\n");
    check(berendrecht.includes("dinsdag") && berendrecht.includes("woensdag"), "Berendrecht: dinsdag and woensdag");

    // A whole booking: buttons where offered, typing for the rest.
    await send(page, "Ik wil een afspraak maken");
    await waitForBot(page, "Voor welk document");
    await clickReply(page, "paspoort");
    await waitForBot(page, "In welk stadsloket");
    await clickReply(page, "Berchem");
    await waitForBot(page, "Voor hoeveel personen");
    await clickReply(page, "2 personen");
    await waitForBot(page, "Op welke dag");
    const day = await clickReply(page, null);
    await waitForBot(page, "Om hoe laat");
    const time = await clickReply(page, null);
    await waitForBot(page, "Op welke naam");
    await send(page, MARKUP);
    await waitForBot(page, "Dat lijkt me geen naam");
    await send(page, NAME);
    await waitForBot(page, "e-mailadres of gsm-nummer");
    await send(page, "lotte.vermeulen@example.be");
    await waitForBot(page, "Zal ik deze afspraak vastleggen?");
    await clickReply(page, "Ja");
    await waitForBot(page, "referentiecode is");
    const done = (await botTexts(page)).join("\n");
    const code = (done.match(/referentiecode is ([A-Z0-9]{6})/) || [])[1];
    check(Boolean(code), `booked ${day} ${time}: reference code ${code} on screen`);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await accessible(page, "the chat page after a booking, with its buttons");

    const shown = await page.$$eval(".rw-client", (nodes) => nodes.map((n) => n.innerText));
    check(shown.includes(MARKUP), "a markup name is shown as text");
    check((await page.$$("#webchat img[src='x']")).length === 0 && dialogs === 0, "no markup ran and no dialog opened");

    await page.reload();
    await waitForBot(page, code);
    check(true, "after a reload the conversation is still there");

    await page.setViewportSize({ width: 375, height: 667 });
    const box = await page.locator(".rw-conversation-container").boundingBox();
    check(box && box.width <= 375 && (await page.locator(".rw-new-message").isVisible()), "readable on a phone-sized screen");

    // The confirmation (a file in the outbox, as make run writes it) carries a manage link; opened
    // in a new tab it shows the appointment, and cancelling asks for neither code nor contact.
    if (process.env.OUTBOX) {
      const token = await tokenFromOutbox(process.env.OUTBOX, code);
      check(token.length === 43, "the confirmation in the outbox has a manage link with a 256-bit token");
      const linked = await context.newPage();
      await linked.goto(PAGE_URL + "/#afspraak=" + token);
      await waitForBot(linked, code);
      check(!linked.url().includes(token), "the token left the address bar at once");
      const opened = (await botTexts(linked)).join("\n");
      check(!opened.includes("referentiecode van je afspraak"), "no code asked");
      await clickReply(linked, "Annuleren");
      await waitForBot(linked, "echt annuleren");
      await clickReply(linked, "Ja");
      await waitForBot(linked, "is geannuleerd");
      check(true, "cancelled from the manage link");
      await linked.reload();
      await linked.goto(PAGE_URL + "/#afspraak=" + token);
      await waitForBot(linked, "is geannuleerd:");
      check(true, "the link opened again shows the appointment as cancelled");
      await linked.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-manage-link.png"), fullPage: true });
    }
  } catch (error) {
    console.error(error.message);
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-failed.png"), fullPage: true }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
  await browser.close();
})();
