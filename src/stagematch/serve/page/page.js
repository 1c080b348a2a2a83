// The stagematch page: check a dataset, solve it, follow the job, download the files.
// Plain JavaScript against the service's own API (/v1); no other site is ever contacted.
"use strict";

// Every word comes from the service (/page-text.json), in the language chosen here.
const LANGUAGES = ["en", "fr"];
let lang = localStorage.getItem("stagematch-lang");
if (!LANGUAGES.includes(lang)) lang = navigator.language.toLowerCase().startsWith("fr") ? "fr" : "en";
let text = {};

function say(key, values = {}) {
  return (text[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

async function loadText() {
  const response = await fetch(`/page-text.json?language=${lang}`);
  text = await response.json();
  document.documentElement.lang = lang;
  for (const element of document.querySelectorAll("[data-text]")) {
    element.textContent = say(element.dataset.text);
  }
  $("#lang").value = lang;
}

const $ = (selector) => document.querySelector(selector);

let token = sessionStorage.getItem("stagematch-token") || "";
let currentJob = null;
let pollTimer = null;

class RequestError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body, headers = {}) {
  const allHeaders = { ...headers };
  if (token) allHeaders.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, body, headers: allHeaders });
  if (response.status === 401) $("#token-section").hidden = false;
  if (!response.ok) {
    let parsed = null;
    try {
      parsed = await response.json();
    } catch (_) {
      parsed = null;
    }
    throw new RequestError(response.status, parsed);
  }
  return response;
}

function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = value === null || value === undefined ? "" : String(value);
  row.appendChild(td);
  return td;
}

function selectedFile() {
  return $("#file").files[0] || null;
}

function formBody() {
  const form = new FormData();
  form.append("file", selectedFile());
  return form;
}

function showProblems(problems) {
  const body = $("#problems tbody");
  body.replaceChildren();
  for (const problem of problems) {
    const row = document.createElement("tr");
    for (const key of ["table", "row", "column", "value", "message"]) cell(row, problem[key]);
    body.appendChild(row);
  }
  $("#problems").hidden = problems.length === 0;
}

function showRefusal(error) {
  const body = error.body || {};
  if (body.status === "infeasible_input") {
    $("#validation").textContent = say("problems", { n: body.problems.length });
    showProblems(body.problems);
  } else {
    $("#validation").textContent = say("refused", { message: error.message });
    showProblems([]);
  }
}

async function check() {
  $("#validation").textContent = say("checking");
  showProblems([]);
  try {
    const answer = await (await api("POST", `/v1/validate?language=${lang}`, formBody())).json();
    $("#validation").textContent = say("valid", answer.dataset);
  } catch (error) {
    showRefusal(error);
  }
}

async function submit() {
  const query = new URLSearchParams({ language: lang });
  const limit = $("#time-limit").value;
  const seed = $("#seed").value;
  if (limit) query.set("time_limit", limit);
  if (seed) query.set("seed", seed);
  if ($("#stable").checked) query.set("stable", "true");
  $("#validation").textContent = say("submitting");
  showProblems([]);
  try {
    const job = await (await api("POST", `/v1/jobs?${query}`, formBody())).json();
    $("#validation").textContent = "";
    follow(job.id);
    refreshJobs();
  } catch (error) {
    showRefusal(error);
  }
}

function follow(jobId) {
  currentJob = jobId;
  $("#job-section").hidden = false;
  clearTimeout(pollTimer);
  poll();
}

async function poll() {
  if (!currentJob) return;
  let job;
  try {
    job = await (await api("GET", `/v1/jobs/${currentJob}?language=${lang}`)).json();
  } catch (error) {
    $("#job-detail").textContent = error.message;
    return;
  }
  showJob(job);
  if (job.status === "queued" || job.status === "running") {
    pollTimer = setTimeout(poll, 500);
  } else {
    refreshJobs();
  }
}

function showJob(job) {
  const stopping = job.status === "running" && job.cancel_requested;
  $("#job-status").textContent = say(stopping ? "cancelling" : job.status);
  $("#job-status").dataset.status = job.status;
  const details = [];
  if (job.progress.phase) details.push(say("phase", { phase: job.progress.phase }));
  const parts = job.progress.components;
  if (parts) details.push(say("parts", parts));
  if (job.result_status) details.push(say(`plan_${job.result_status}`));
  if (job.message) details.push(job.message);
  $("#job-detail").textContent = details.join(" · ");
  const bar = $("#job-progress");
  if (job.status === "done" || job.status === "cancelled" || job.status === "failed") {
    bar.value = 1;
  } else if (parts && parts.total > 0) {
    bar.value = parts.done / parts.total;
  } else {
    bar.removeAttribute("value");
  }
  const levels = Object.entries(job.progress.levels);
  const body = $("#levels tbody");
  body.replaceChildren();
  for (const [name, level] of levels) {
    const row = document.createElement("tr");
    cell(row, name);
    cell(row, level.value);
    cell(row, level.bound);
    body.appendChild(row);
  }
  $("#levels").hidden = levels.length === 0;
  $("#stop").hidden = !(job.status === "queued" || job.status === "running") || stopping;
  $("#downloads").hidden = !job.has_result;
}

async function stop() {
  if (!currentJob) return;
  try {
    showJob(await (await api("DELETE", `/v1/jobs/${currentJob}?language=${lang}`)).json());
  } catch (error) {
    $("#job-detail").textContent = error.message;
  }
}

async function download(name) {
  const path = name === "result" ? "result" : name;
  const response = await api("GET", `/v1/jobs/${currentJob}/${path}?language=${lang}`);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name === "result" ? "result.json" : name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}

async function refreshJobs() {
  let list;
  try {
    list = await (await api("GET", `/v1/jobs?language=${lang}`)).json();
  } catch (_) {
    return;
  }
  const body = $("#jobs tbody");
  body.replaceChildren();
  for (const job of list.jobs.slice().reverse()) {
    const row = document.createElement("tr");
    cell(row, new Date(job.times.created_at).toLocaleString(lang));
    cell(row, job.students);
    cell(row, say(job.status));
    cell(row, job.result_status ? say(`plan_${job.result_status}`) : say("no_plan"));
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = say("show");
    button.addEventListener("click", () => follow(job.id));
    cell(row, "").appendChild(button);
    body.appendChild(row);
  }
}

function chooseFile() {
  const file = selectedFile();
  $("#file-name").textContent = file ? file.name : "";
  $("#check").disabled = !file;
  $("#solve").disabled = !file;
  $("#validation").textContent = "";
  showProblems([]);
}

async function start() {
  await loadText();
  $("#lang").addEventListener("change", async () => {
    lang = $("#lang").value;
    localStorage.setItem("stagematch-lang", lang);
    await loadText();
    refreshJobs();
    if (currentJob) poll();
  });
  $("#file").addEventListener("change", chooseFile);
  const drop = $("#drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    $("#file").files = event.dataTransfer.files;
    chooseFile();
  });
  $("#check").addEventListener("click", check);
  $("#solve").addEventListener("click", submit);
  $("#stop").addEventListener("click", stop);
  for (const button of document.querySelectorAll("#downloads button")) {
    button.addEventListener("click", async () => {
      try {
        await download(button.dataset.file);
      } catch (error) {
        $("#job-detail").textContent = error.message;
      }
    });
  }
  $("#token-use").addEventListener("click", () => {
    token = $("#token").value.trim();
    sessionStorage.setItem("stagematch-token", token);
    $("#token-section").hidden = true;
    refreshJobs();
  });
  // Every control works from here on (a click before this would have no handler).
  document.documentElement.dataset.ready = "true";
  refreshJobs();
}

start();
