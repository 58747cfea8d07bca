/* supportbot sandbox page: renders /sandbox/api/state and drives the control API.
   Vanilla JS, no build step. Selectors are documented in bot/sandbox/fakeapi.py. */
"use strict";

const POLL_MS = 500;
const S = {
  state: null,
  customerId: null,
  groupId: null,
  threadId: null, // null = General
  topicManual: false,
  operatorId: null,
  seenAnswers: null,
  rendered: {},
  scrolledFor: {},
};

const $ = (sel) => document.querySelector(sel);

const ICON = {
  pin: '<svg class="i" viewBox="0 0 24 24"><path d="M9 4h6l-1 6 4 3v2H6v-2l4-3z"/><path d="M12 15v6"/></svg>',
  lock: '<svg class="i" viewBox="0 0 24 24"><rect x="5" y="11" width="14" height="9" rx="2"/><path d="M8 11V8a4 4 0 0 1 8 0v3"/></svg>',
  trash: '<svg class="i" viewBox="0 0 24 24"><path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13"/></svg>',
  doc: '<svg class="i" viewBox="0 0 24 24"><path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4"/></svg>',
  mic: '<svg class="i" viewBox="0 0 24 24"><rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/></svg>',
  edit: '<svg class="i" viewBox="0 0 24 24"><path d="M4 20h4L19 9l-4-4L4 16z"/></svg>',
};


// ------------------------------------------------------------------ helpers

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  }[c]));
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const res = await fetch("/sandbox/api/" + path, init);
  const data = await res.json().catch(() => ({ ok: false, error: res.statusText }));
  if (!data.ok) throw new Error(data.error || "request failed");
  return data.result;
}

let toastTimer = null;
function toast(text, isError = false) {
  const el = $("#toast");
  el.textContent = text;
  el.classList.toggle("error", isError);
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, isError ? 5000 : 3000);
}

async function act(path, body) {
  try {
    const result = await api(path, body);
    refresh();
    return result;
  } catch (err) {
    toast(err.message, true);
    return undefined;
  }
}

function timeOf(unix) {
  const d = new Date(unix * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function colorOf(icon) {
  return "#" + Number(icon || 0x6fb9f0).toString(16).padStart(6, "0");
}

function fullName(user) {
  if (!user) return "";
  return [user.first_name, user.last_name].filter(Boolean).join(" ");
}

function nearBottom(el) {
  return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
}

// ------------------------------------------------------------------ text + entities

function wrapEntity(entity, inner) {
  switch (entity.type) {
    case "bold": return `<b>${inner}</b>`;
    case "italic": return `<i>${inner}</i>`;
    case "underline": return `<u>${inner}</u>`;
    case "strikethrough": return `<s>${inner}</s>`;
    case "spoiler": return `<span class="spoiler">${inner}</span>`;
    case "code": return `<code>${inner}</code>`;
    case "pre": return `<pre>${inner}</pre>`;
    case "blockquote":
    case "expandable_blockquote": return `<blockquote>${inner}</blockquote>`;
    case "bot_command": return `<span class="cmd">${inner}</span>`;
    case "text_link": {
      const url = String(entity.url || "");
      return /^(https?|tg):/i.test(url)
        ? `<a href="${esc(url)}" target="_blank" rel="noopener noreferrer">${inner}</a>`
        : inner;
    }
    default: return inner;
  }
}

function renderText(text, entities) {
  const list = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
  function build(start, end, items) {
    let out = "";
    let pos = start;
    let i = 0;
    while (i < items.length) {
      const e = items[i];
      const eEnd = Math.min(e.offset + e.length, end);
      const children = [];
      let j = i + 1;
      while (j < items.length && items[j].offset < eEnd) {
        if (items[j].offset + items[j].length <= eEnd) children.push(items[j]);
        j += 1;
      }
      if (e.offset < pos) { i = j; continue; }
      out += esc(text.slice(pos, e.offset));
      out += wrapEntity(e, build(e.offset, eEnd, children));
      pos = eEnd;
      i = j;
    }
    return out + esc(text.slice(pos, end));
  }
  return build(0, text.length, list);
}

function preview(message) {
  if (!message) return "";
  if (message.text) return message.text;
  if (message.caption) return message.caption;
  if (message.photo) return "Photo";
  if (message.document) return "Document: " + (message.document.file_name || "file");
  if (message.voice) return "Voice message";
  return serviceText(message) || "Message";
}

function serviceText(m) {
  if (m.forum_topic_created) return `Topic “${m.forum_topic_created.name}” created`;
  if (m.forum_topic_edited) {
    return m.forum_topic_edited.name ? `Topic renamed to “${m.forum_topic_edited.name}”` : "Topic icon changed";
  }
  if (m.forum_topic_closed) return "Topic closed";
  if (m.forum_topic_reopened) return "Topic reopened";
  if (m.pinned_message) return `${fullName(m.from)} pinned “${preview(m.pinned_message).slice(0, 60)}”`;
  return "";
}

// ------------------------------------------------------------------ message bubbles

function renderKeyboard(markup, chatId, messageId) {
  if (!markup || !markup.inline_keyboard) return "";
  const rows = markup.inline_keyboard.map((row) => {
    const buttons = row.map((b) => {
      if (b.callback_data !== undefined) {
        return `<button type="button" data-testid="inline-button" data-callback="${esc(b.callback_data)}"`
          + ` data-chat-id="${chatId}" data-message-id="${messageId}">${esc(b.text)}</button>`;
      }
      if (b.url) {
        return `<button type="button" data-testid="inline-button" data-url="${esc(b.url)}">${esc(b.text)} ↗</button>`;
      }
      return `<button type="button" data-testid="inline-button" disabled>${esc(b.text)}</button>`;
    });
    return `<div class="kb-row">${buttons.join("")}</div>`;
  });
  return `<div class="keyboard">${rows.join("")}</div>`;
}

function renderMedia(m) {
  let html = "";
  if (m.photo && m.photo.length) {
    const big = m.photo[m.photo.length - 1];
    html += `<div class="media"><img alt="photo" src="/sandbox/api/file/${encodeURIComponent(big.file_id)}"`
      + ` width="${Math.min(260, big.width)}"></div>`;
  }
  if (m.document) {
    const kb = Math.max(1, Math.round((m.document.file_size || 0) / 1024));
    html += `<div class="doc"><div class="doc-icon">${ICON.doc}</div><div><a target="_blank" href="/sandbox/api/file/`
      + `${encodeURIComponent(m.document.file_id)}">${esc(m.document.file_name || "document")}</a>`
      + `<div class="size">${kb} KB · ${esc(m.document.mime_type || "")}</div></div></div>`;
  }
  if (m.voice) {
    html += `<div class="doc"><div class="doc-icon">${ICON.mic}</div><div><b>Voice message</b>`
      + `<div class="size">${m.voice.duration || 0}s</div></div></div>`;
  }
  return html;
}

function renderMessage(item, opts) {
  const m = item.message;
  if (item.service) {
    if (m.forum_topic_created && opts.side === "operators") return "";
    const cls = item.deleted ? "service deleted" : "service";
    return `<div class="${cls}" data-testid="service-message" data-from="service"`
      + ` data-message-id="${item.message_id}">${esc(serviceText(m))}</div>`;
  }
  const out = opts.isOut(item);
  const from = item.from_bot ? "bot" : opts.userRole;
  const classes = ["msg", out ? "out" : "in"];
  if (item.pinned) classes.push("pinned");
  if (item.deleted) classes.push("deleted");
  let html = `<div class="${classes.join(" ")}" data-testid="${opts.testid}" data-from="${from}"`
    + ` data-message-id="${item.message_id}" data-edited="${item.edited}" data-deleted="${item.deleted}"`
    + ` data-pinned="${item.pinned}" id="${opts.side}-msg-${item.message_id}"><div class="bubble">`;
  if (opts.showSender && !out) {
    html += `<div class="sender ${item.from_bot ? "bot" : ""}">${esc(fullName(m.from))}</div>`;
  }
  if (m.forward_origin) {
    const origin = m.forward_origin.sender_user ? fullName(m.forward_origin.sender_user) : "hidden user";
    html += `<div class="forward">↪ Forwarded from ${esc(origin)}</div>`;
  }
  const reply = m.reply_to_message;
  if (reply && !reply.forum_topic_created) {
    html += `<div class="reply-quote"><b>${esc(fullName(reply.from))}</b> ${esc(preview(reply))}</div>`;
  }
  html += renderMedia(m);
  if (m.text !== undefined) html += `<div class="text">${renderText(m.text, m.entities)}</div>`;
  if (m.caption) html += `<div class="text">${renderText(m.caption, m.caption_entities)}</div>`;
  if (item.reactions && item.reactions.length) {
    html += `<div class="reactions">${item.reactions.map((r) => esc(r.emoji || "★")).join(" ")}</div>`;
  }
  html += `<div class="meta">`;
  if (item.pinned) html += `<span class="tag">${ICON.pin} pinned</span>`;
  if (item.deleted) html += `<span class="tag del">deleted</span>`;
  if (item.edited) {
    html += `<span class="tag" title="${esc(item.history.join("\n→ "))}">edited</span>`;
  }
  if (opts.editable && out && !item.deleted && (m.text !== undefined || m.caption !== undefined)) {
    html += `<button type="button" class="edit-btn" data-action="edit" data-chat-id="${m.chat.id}"`
      + ` data-message-id="${item.message_id}" title="Edit">${ICON.edit}</button>`;
  }
  html += `<span>${timeOf(m.edit_date || m.date)}</span></div></div>`;
  html += renderKeyboard(m.reply_markup, m.chat.id, item.message_id);
  return html + "</div>";
}

function paint(container, key, html, chatKey) {
  if (S.rendered[container.id] === key) return;
  const stick = nearBottom(container) || S.scrolledFor[container.id] !== chatKey;
  const top = container.scrollTop;
  container.innerHTML = html;
  S.rendered[container.id] = key;
  S.scrolledFor[container.id] = chatKey;
  container.scrollTop = stick ? container.scrollHeight : top;
}

// ------------------------------------------------------------------ model helpers

function chatById(id) {
  return (S.state?.chats || []).find((c) => c.id === id) || null;
}

function groups() {
  return (S.state?.chats || []).filter((c) => c.type !== "private");
}

function customers() {
  const inGroups = new Set(groups().flatMap((g) => g.members));
  return (S.state?.users || []).filter((u) => !u.is_bot && !inGroups.has(u.id));
}

function syncSelect(select, options, current) {
  const key = JSON.stringify(options);
  if (select.dataset.key !== key) {
    select.innerHTML = options.map(([v, label]) => `<option value="${esc(v)}">${esc(label)}</option>`).join("");
    select.dataset.key = key;
  }
  if (current !== null && current !== undefined) select.value = String(current);
}

// ------------------------------------------------------------------ rendering

function renderStatus() {
  const bot = (S.state?.bots || [])[0];
  const box = $("#bot-status");
  const text = $("#bot-status-text");
  if (!bot) {
    box.className = "bot-status";
    text.textContent = `@${S.state?.bot?.username || "bot"} · waiting for the bot to connect…`;
    return;
  }
  const online = bot.mode === "webhook" || (bot.last_poll_age !== null && bot.last_poll_age < 40);
  box.className = "bot-status" + (online ? " online" : "");
  const mode = bot.mode === "webhook" ? `webhook → ${bot.webhook_url}` : "long polling";
  text.textContent = `@${bot.username} · ${mode} · ${bot.pending_update_count} pending update(s)`;
}

function renderCustomer() {
  const list = customers();
  if (S.customerId === null || !list.some((u) => u.id === S.customerId)) {
    S.customerId = list.length ? list[list.length - 1].id : null;
  }
  syncSelect(
    $("#customer-select"),
    list.map((u) => [u.id, `${u.full_name}${u.username ? " @" + u.username : ""} · ${u.language_code || "?"}`]),
    S.customerId,
  );
  const user = list.find((u) => u.id === S.customerId) || null;
  const chat = user ? chatById(user.id) : null;
  const bot = S.state?.bot;
  $("#customer-chat-title").textContent = bot ? `${bot.first_name} @${bot.username}` : "Support Bot";
  const typing = chat && chat.action;
  const sub = $("#typing-indicator");
  sub.textContent = typing ? `${typing.action.replace(/_/g, " ")}…` : "bot";
  sub.classList.toggle("typing", Boolean(typing));
  const blockBtn = $("#customer-block");
  blockBtn.disabled = !user;
  blockBtn.textContent = user && user.blocked ? "Unblock bot" : "Block bot";
  const banner = $("#customer-banner");
  banner.hidden = !(user && user.blocked);
  banner.textContent = user && user.blocked ? "You blocked the bot. Sending a message unblocks it." : "";

  const box = $("#customer-messages");
  if (!chat) {
    paint(box, "empty", `<div class="empty">Create a customer to start chatting with the bot.</div>`, "none");
  } else {
    const opts = {
      side: "customer", testid: "customer-message", userRole: "user", showSender: false, editable: true,
      isOut: (item) => !item.from_bot,
    };
    const html = chat.messages.length
      ? chat.messages.map((item) => renderMessage(item, opts)).join("")
      : `<div class="empty">No messages yet. Say hi or send /start.</div>`;
    paint(box, JSON.stringify(chat.messages), html, chat.id);
  }
  renderReplyKeyboard(chat);
  for (const id of ["#customer-input", "#customer-send", "#customer-photo", "#customer-document"]) {
    $(id).disabled = !user;
  }
}

function renderReplyKeyboard(chat) {
  const box = $("#reply-keyboard");
  const kb = chat && chat.reply_keyboard;
  const key = JSON.stringify(kb || null);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  if (!kb || !kb.keyboard) {
    box.hidden = true;
    box.innerHTML = "";
    return;
  }
  box.hidden = false;
  box.innerHTML = kb.keyboard.map((row) => `<div class="kb-row">${row.map((b) => {
    const text = typeof b === "string" ? b : b.text;
    return `<button type="button" data-testid="reply-button" data-text="${esc(text)}">${esc(text)}</button>`;
  }).join("")}</div>`).join("");
}

function threadActivity(chat, threadId) {
  let last = null;
  for (const item of chat.messages) {
    if (item.thread_id === threadId && !item.deleted) last = item;
  }
  return last;
}

function renderOperators() {
  const list = groups();
  $("#create-group").hidden = list.length > 0;
  if (S.groupId === null || !list.some((g) => g.id === S.groupId)) {
    S.groupId = list.length ? list[0].id : null;
    S.topicManual = false;
  }
  syncSelect($("#group-select"), list.map((g) => [g.id, g.title]), S.groupId);
  $("#group-select").hidden = list.length === 0;
  const group = chatById(S.groupId);
  const topicsBox = $("#topics");
  const messagesBox = $("#topic-messages");
  if (!group) {
    paint(topicsBox, "none", "", "none");
    paint(messagesBox, "none", `<div class="no-group">No operators group yet.<br>`
      + `The bot's setup (or “Create demo group”) makes one.</div>`, "none");
    $("#topic-title").textContent = "No group";
    $("#topic-sub").textContent = "";
    $("#pinned-area").innerHTML = "";
    syncSelect($("#operator-select"), [], null);
    return;
  }

  // operators
  const members = (S.state.users || []).filter((u) => group.members.includes(u.id));
  if (S.operatorId === null || !members.some((u) => u.id === S.operatorId)) {
    S.operatorId = members.length ? members[0].id : null;
  }
  syncSelect(
    $("#operator-select"),
    members.map((u) => [u.id, `${u.full_name}${group.admins.includes(u.id) ? " ★" : ""}`]),
    S.operatorId,
  );

  // topics, General first then by last activity
  const topics = group.topics.slice();
  const activity = (t) => threadActivity(group, t.message_thread_id)?.message_id || t.message_thread_id;
  topics.sort((a, b) => activity(b) - activity(a));
  if (!S.topicManual) {
    const live = topics.filter((t) => !t.deleted);
    S.threadId = live.length ? live[0].message_thread_id : null;
  }
  if (S.threadId !== null && !topics.some((t) => t.message_thread_id === S.threadId)) S.threadId = null;
  const entries = [{ message_thread_id: null, name: "General", icon_color: 0x8e9aa6, general: true }, ...topics];
  const topicsHtml = entries.map((t) => {
    const last = threadActivity(group, t.message_thread_id);
    const cls = ["topic"];
    if (t.message_thread_id === S.threadId) cls.push("selected");
    if (t.deleted) cls.push("deleted");
    if (t.closed) cls.push("closed");
    const badges = [t.closed ? `${ICON.lock} closed` : "", t.deleted ? `${ICON.trash} deleted` : ""]
      .filter(Boolean).join(" · ");
    const icon = t.general ? "#" : esc((t.name || "?").trim().charAt(0).toUpperCase());
    return `<div class="${cls.join(" ")}" data-testid="topic" data-thread-id="${t.message_thread_id ?? ""}"`
      + ` data-closed="${Boolean(t.closed)}" data-deleted="${Boolean(t.deleted)}">`
      + `<div class="topic-icon" style="background:${colorOf(t.icon_color)}">${icon}</div>`
      + `<div class="topic-main"><div class="topic-name">${esc(t.name)}</div>`
      + `<div class="topic-last">${esc(last ? preview(last.message) : "")}</div>`
      + (badges ? `<div class="topic-badges">${badges}</div>` : "")
      + `</div></div>`;
  }).join("");
  paint(topicsBox, topicsHtml, topicsHtml, group.id);

  // selected topic
  const topic = topics.find((t) => t.message_thread_id === S.threadId) || null;
  $("#topic-title").textContent = topic ? topic.name : "General";
  $("#topic-avatar").style.background = colorOf(topic ? topic.icon_color : 0x8e9aa6);
  $("#topic-avatar").textContent = topic ? (topic.name || "?").trim().charAt(0).toUpperCase() : "#";
  const status = topic ? [topic.closed ? "closed" : "open", topic.deleted ? "deleted" : ""] : ["general"];
  $("#topic-sub").textContent = `${group.title} · ${status.filter(Boolean).join(", ")}`
    + (topic ? ` · thread ${topic.message_thread_id}` : "");

  const inThread = group.messages.filter((item) => item.thread_id === S.threadId);
  const pinnedIds = group.pinned.filter((id) => inThread.some((item) => item.message_id === id && !item.deleted));
  const pinArea = $("#pinned-area");
  const pinnedItem = pinnedIds.length
    ? inThread.find((item) => item.message_id === pinnedIds[pinnedIds.length - 1]) : null;
  const pinHtml = pinnedItem
    ? `<div class="pinned-card" data-testid="pinned-card" data-message-id="${pinnedItem.message_id}">`
      + `<span class="pin-label">${ICON.pin} Pinned</span><span class="pin-text">${esc(preview(pinnedItem.message))}</span></div>`
    : "";
  if (pinArea.dataset.key !== pinHtml) {
    pinArea.innerHTML = pinHtml;
    pinArea.dataset.key = pinHtml;
  }
  const opts = {
    side: "operators", testid: "topic-message", userRole: "operator", showSender: true, editable: false,
    isOut: (item) => !item.from_bot && item.message.from && item.message.from.id === S.operatorId,
  };
  const body = inThread.map((item) => renderMessage(item, opts)).join("")
    || `<div class="empty">No messages in this topic yet.</div>`;
  paint(messagesBox, JSON.stringify([inThread, S.operatorId]), body, `${group.id}:${S.threadId}`);
  const closedForMe = topic && (topic.deleted || (topic.closed && !group.admins.includes(S.operatorId)));
  $("#operator-input").disabled = !S.operatorId || Boolean(closedForMe);
  $("#operator-send").disabled = !S.operatorId || Boolean(closedForMe);
}

function showAnswers() {
  const answers = S.state?.callback_answers || [];
  if (S.seenAnswers === null) {
    S.seenAnswers = new Set(answers.map((a) => a.callback_query_id));
    return;
  }
  for (const a of answers) {
    if (S.seenAnswers.has(a.callback_query_id)) continue;
    S.seenAnswers.add(a.callback_query_id);
    if (a.text) toast((a.show_alert ? "Alert: " : "") + a.text);
  }
}

function render() {
  renderStatus();
  renderCustomer();
  renderOperators();
  showAnswers();
}

// ------------------------------------------------------------------ polling

let inFlight = false;
let again = false;
async function refresh() {
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  try {
    S.state = await api("state");
    render();
  } catch (err) {
    $("#bot-status").className = "bot-status error";
    $("#bot-status-text").textContent = "sandbox server unreachable";
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      refresh();
    }
  }
}

async function loop() {
  await refresh();
  setTimeout(loop, POLL_MS);
}

// ------------------------------------------------------------------ actions

async function sendCustomer() {
  const input = $("#customer-input");
  const text = input.value.trim();
  if (!text || S.customerId === null) return;
  input.value = "";
  autosize(input);
  const sent = await act("send", { user_id: S.customerId, text });
  if (sent === undefined) input.value = text;
}

async function sendOperator() {
  const input = $("#operator-input");
  const text = input.value.trim();
  if (!text || S.operatorId === null || S.groupId === null) return;
  input.value = "";
  autosize(input);
  const sent = await act("send", {
    user_id: S.operatorId, chat_id: S.groupId, message_thread_id: S.threadId, text,
  });
  if (sent === undefined) input.value = text;
}

function takeCaption() {
  const input = $("#customer-input");
  const caption = input.value.trim();
  input.value = "";
  autosize(input);
  return caption || undefined;
}

function autosize(el) {
  el.style.height = "auto";
  el.style.height = Math.min(el.scrollHeight + 2, 120) + "px";
}

function enterToSend(textarea, send) {
  textarea.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      send();
    }
  });
  textarea.addEventListener("input", () => autosize(textarea));
}

function setup() {
  $("#customer-form").addEventListener("submit", (ev) => { ev.preventDefault(); sendCustomer(); });
  $("#operator-form").addEventListener("submit", (ev) => { ev.preventDefault(); sendOperator(); });
  enterToSend($("#customer-input"), sendCustomer);
  enterToSend($("#operator-input"), sendOperator);

  $("#customer-select").addEventListener("change", (ev) => {
    S.customerId = Number(ev.target.value);
    render();
  });
  $("#group-select").addEventListener("change", (ev) => {
    S.groupId = Number(ev.target.value);
    S.topicManual = false;
    render();
  });
  $("#operator-select").addEventListener("change", (ev) => {
    S.operatorId = Number(ev.target.value);
    render();
  });

  $("#new-customer").addEventListener("click", () => {
    const form = $("#new-customer-form");
    form.hidden = !form.hidden;
    if (!form.hidden) $("#new-customer-name").focus();
  });
  $("#new-customer-cancel").addEventListener("click", () => { $("#new-customer-form").hidden = true; });
  $("#new-customer-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = $("#new-customer-name").value.trim() || "Customer";
    const user = await act("users", { first_name: name, language_code: $("#new-customer-lang").value });
    if (user) {
      S.customerId = user.id;
      $("#new-customer-name").value = "";
      $("#new-customer-form").hidden = true;
      $("#customer-input").focus();
    }
  });

  $("#customer-block").addEventListener("click", () => {
    const user = customers().find((u) => u.id === S.customerId);
    if (user) act("block", { user_id: user.id, blocked: !user.blocked });
  });
  $("#customer-photo").addEventListener("click", () => {
    if (S.customerId !== null) act("send", { user_id: S.customerId, photo: true, caption: takeCaption() });
  });
  $("#customer-document").addEventListener("click", () => $("#customer-document-file").click());
  $("#customer-document-file").addEventListener("change", (ev) => {
    const file = ev.target.files && ev.target.files[0];
    if (!file || S.customerId === null) return;
    const reader = new FileReader();
    reader.onload = () => {
      const b64 = String(reader.result).split(",", 2)[1] || "";
      act("send", {
        user_id: S.customerId,
        document: { filename: file.name, content_base64: b64 },
        caption: takeCaption(),
      });
      ev.target.value = "";
    };
    reader.readAsDataURL(file);
  });

  $("#create-group").addEventListener("click", async () => {
    const a = await act("users", { first_name: "Anna", last_name: "Operator", language_code: "en" });
    const b = await act("users", { first_name: "Piotr", last_name: "Operator", language_code: "pl" });
    if (a && b) {
      await act("groups", { title: "Support operators", members: [a.id, b.id], admins: [a.id, b.id] });
    }
  });

  document.addEventListener("click", (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    if (!target) return;
    const button = target.closest("[data-testid=inline-button]");
    if (button && !button.disabled) {
      if (button.dataset.url) {
        window.open(button.dataset.url, "_blank", "noopener");
        return;
      }
      const inCustomer = Boolean(button.closest("#customer-messages"));
      const userId = inCustomer ? S.customerId : S.operatorId;
      if (userId === null) return;
      act("press", {
        user_id: userId,
        chat_id: Number(button.dataset.chatId),
        message_id: Number(button.dataset.messageId),
        data: button.dataset.callback,
      });
      return;
    }
    const replyButton = target.closest("[data-testid=reply-button]");
    if (replyButton && S.customerId !== null) {
      act("send", { user_id: S.customerId, text: replyButton.dataset.text });
      return;
    }
    const topic = target.closest("[data-testid=topic]");
    if (topic) {
      S.threadId = topic.dataset.threadId === "" ? null : Number(topic.dataset.threadId);
      S.topicManual = true;
      render();
      return;
    }
    const pinned = target.closest("[data-testid=pinned-card]");
    if (pinned) {
      const el = document.getElementById(`operators-msg-${pinned.dataset.messageId}`);
      if (el) el.scrollIntoView({ behavior: "smooth", block: "center" });
      return;
    }
    const edit = target.closest("[data-action=edit]");
    if (edit) {
      const chat = chatById(Number(edit.dataset.chatId));
      const item = chat && chat.messages.find((m) => m.message_id === Number(edit.dataset.messageId));
      const current = item ? (item.message.text ?? item.message.caption ?? "") : "";
      const text = window.prompt("Edit message", current);
      if (text && text !== current) {
        act("edit", { chat_id: Number(edit.dataset.chatId), message_id: Number(edit.dataset.messageId), text });
      }
    }
  });

  loop();
}

setup();
