// The Sentire page: upload a file to POST /v1/analyze, or stream the microphone over WS /v1/stream.
'use strict';
const $ = (id) => document.getElementById(id);
const COLORS = ['#5b4fd6', '#e0694a', '#2f9e77', '#d4a017', '#c2418b', '#3a86c8', '#7a8b3a', '#8a5a44'];
const state = { models: null, hasCaption: false, socket: null, audio: null, live: null, colors: {} };

function colorOf(label) {
  if (!(label in state.colors)) state.colors[label] = COLORS[Object.keys(state.colors).length % COLORS.length];
  return state.colors[label];
}

function headers(extra) {
  const h = Object.assign({}, extra);
  const key = $('key').value.trim();
  if (key) h.Authorization = 'Bearer ' + key;
  return h;
}

function setStatus(text, isError) {
  $('status').textContent = text;
  $('status').classList.toggle('error', !!isError);
}

async function loadModels() {
  try {
    const r = await fetch('/v1/models', { headers: headers() });
    if (r.status === 401) { $('key-row').hidden = false; setStatus('This server needs an API key.'); return; }
    if (r.status === 503) { setStatus('The model is loading…'); setTimeout(loadModels, 1500); return; }
    const m = await r.json();
    state.models = m;
    state.hasCaption = !!m.caption;
    m.emotion.labels.forEach(colorOf);
    $('model').textContent = `Model: ${m.emotion.name} · ${m.emotion.labels.length} emotions` + (m.caption ? ` · captions by ${m.caption.name}` : '');
    setStatus('Ready. Choose a file or record.');
  } catch (e) { setStatus('Cannot reach the server: ' + e.message, true); }
}

async function analyzeFile(file) {
  stopLive();
  setStatus(`Analysing ${file.name}…`);
  const query = state.hasCaption ? '?caption=true' : '';
  const form = new FormData();
  form.append('file', file, file.name);
  try {
    const r = await fetch('/v1/analyze' + query, { method: 'POST', body: form, headers: headers() });
    const body = await r.json();
    if (!r.ok) {
      if (r.status === 401) $('key-row').hidden = false;
      setStatus(body.detail || body.error || ('HTTP ' + r.status), true);
      return;
    }
    renderAnalysis(body, file.name);
    setStatus(body.status === 'ok' ? (body.warning ? 'Done. ' + body.warning : 'Done.') : (body.status === 'silent' ? 'The file is silent.' : 'The file is too short to judge.'));
  } catch (e) { setStatus('The request failed: ' + e.message, true); }
}

function pct(p) { return Math.round(p * 100) + '%'; }

function renderEmotions(emotions) {
  const top = emotions[0];
  $('top-label').textContent = top ? top.label : '—';
  $('top-prob').textContent = top ? `${pct(top.probability)} likely` : 'no voice';
  const bars = $('bars');
  bars.textContent = '';
  for (const e of emotions.slice(0, 6)) {
    const li = document.createElement('li');
    li.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="pct"></span>';
    li.querySelector('.name').textContent = e.label;
    const fill = li.querySelector('.fill');
    fill.style.width = (e.probability * 100).toFixed(1) + '%';
    fill.style.setProperty('--c', colorOf(e.label));
    li.querySelector('.pct').textContent = pct(e.probability);
    bars.appendChild(li);
  }
}

const DIMENSIONS = [
  ['arousal', 'Arousal', 'calm', 'excited'],
  ['valence', 'Valence', 'negative', 'positive'],
  ['dominance', 'Dominance', 'submissive', 'in control'],
];

function renderDimensions(o) {
  const meters = $('meters');
  meters.textContent = '';
  for (const [key, name, low, high] of DIMENSIONS) {
    if (typeof o[key] !== 'number') continue;
    const div = document.createElement('div');
    div.className = 'meter';
    div.innerHTML = '<div class="row"><span></span><span></span></div><div class="scale"><span class="knob"></span></div><div class="ends"><span></span><span></span></div>';
    const spans = div.querySelectorAll('span');
    spans[0].textContent = name; spans[1].textContent = o[key].toFixed(2);
    div.querySelector('.knob').style.left = (o[key] * 100).toFixed(1) + '%';
    const ends = div.querySelectorAll('.ends span');
    ends[0].textContent = low; ends[1].textContent = high;
    meters.appendChild(div);
  }
  if (!meters.childElementCount) meters.textContent = 'This model has no dimensional head.';
}

function describeProsody(p) {
  if (!p) return 'No prosody for this clip.';
  const parts = [];
  const level = (l) => l ? `<b>${l}</b> ` : '';
  if (p.pitch_hz != null) parts.push(`${level(p.pitch_level)}pitch (${Math.round(p.pitch_hz)} Hz${p.pitch_variation_semitones != null ? `, varying by ${p.pitch_variation_semitones.toFixed(1)} semitones` : ''})`);
  else parts.push('no voiced pitch');
  if (p.loudness_dbfs != null) parts.push(`${level(p.loudness_level)}loudness (${p.loudness_dbfs.toFixed(1)} dBFS)`);
  if (p.articulation_rate != null) parts.push(`a ${level(p.rate_level)}rate (${p.articulation_rate.toFixed(1)} syllables/s while speaking)`);
  const sentence = 'A voice with ' + parts.join(', ') + '.';
  return p.words && p.words.length ? `${sentence} In a word: ${p.words.join(', ')}.` : sentence;
}

function renderAnalysis(a, name) {
  $('result').hidden = false;
  $('source').textContent = name;
  $('duration').textContent = a.duration != null ? a.duration.toFixed(1) + ' s' : '';
  renderEmotions(a.emotions || []);
  renderDimensions(a);
  $('prosody').innerHTML = describeProsody(a.prosody);
  $('caption').hidden = !a.caption;
  $('caption').textContent = a.caption ? '“' + a.caption + '”' : '';
  if (a.segments && a.segments.length) drawChart(a.segments.filter(s => s.emotions.length));
  else if (!state.live) $('timeline').hidden = true;
}

// Emotion-over-time chart: one line per label that ever ranks in the top three, x = time, y = probability.
// Live mode shows the last 30 s on an axis at least 10 s long, so the first points do not fill the whole width.
function drawChart(points, live) {
  $('timeline').hidden = false;
  const svg = $('chart');
  const W = 640, H = 180, pad = 22;
  svg.dataset.points = String(points.length);
  if (!points.length) { svg.innerHTML = ''; $('legend').textContent = ''; return; }
  const last = points[points.length - 1].end;
  const t0 = live ? Math.max(0, last - 30) : points[0].start;
  const t1 = live ? Math.max(last, t0 + 10) : Math.max(last, t0 + 1);
  if (live) points = points.filter(p => p.start >= t0);
  const x = (t) => pad + (W - 2 * pad) * (t - t0) / (t1 - t0);
  const y = (p) => H - pad - (H - 2 * pad) * p;
  const labels = new Set();
  for (const pt of points) pt.emotions.slice(0, 3).forEach(e => labels.add(e.label));
  let html = '';
  for (const g of [0, 0.5, 1]) html += `<line class="grid-line" x1="${pad}" x2="${W - pad}" y1="${y(g)}" y2="${y(g)}"/>`;
  html += `<text class="axis" x="${pad + 2}" y="${y(1) - 5}">100%</text>`;
  html += `<text class="axis" x="${pad}" y="${H - 5}">${t0.toFixed(0)} s</text><text class="axis" x="${W - pad}" y="${H - 5}" text-anchor="end">${t1.toFixed(0)} s</text>`;
  for (const label of labels) {
    const coords = points.map(pt => {
      const e = pt.emotions.find(e => e.label === label);
      return `${x((pt.start + pt.end) / 2).toFixed(1)},${y(e ? e.probability : 0).toFixed(1)}`;
    });
    html += `<polyline points="${coords.join(' ')}" stroke="${colorOf(label)}"><title>${label}</title></polyline>`;
  }
  svg.innerHTML = html;
  const legend = $('legend');
  legend.textContent = '';
  for (const label of labels) {
    const s = document.createElement('span');
    s.innerHTML = '<i></i>';
    s.querySelector('i').style.setProperty('--c', colorOf(label));
    s.append(label);
    legend.appendChild(s);
  }
}

// Live mode: microphone -> AudioWorklet (16 kHz, 16-bit) -> WebSocket; one message per 2 s window every 0.5 s.
async function startLive() {
  let stream;
  try { stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false } }); }
  catch (e) { setStatus('No microphone: ' + e.message, true); return; }
  const audio = new AudioContext();
  await audio.audioWorklet.addModule('/static/pcm-worklet.js');
  const source = audio.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(audio, 'pcm-capture');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const key = $('key').value.trim();
  const socket = new WebSocket(`${scheme}//${location.host}/v1/stream` + (key ? '?access_token=' + encodeURIComponent(key) : ''));
  socket.binaryType = 'arraybuffer';
  state.live = { stream, audio, socket, node, points: [] };
  socket.onopen = () => socket.send(JSON.stringify({ type: 'start', format: 's16le', sample_rate: 16000 }));
  socket.onmessage = (ev) => onStreamMessage(JSON.parse(ev.data));
  socket.onerror = () => setStatus('The live connection failed.', true);
  socket.onclose = () => { if (state.live && state.live.socket === socket) finishLive(); };
  node.port.onmessage = (ev) => { if (socket.readyState === WebSocket.OPEN) socket.send(ev.data); };
  // a silent path to the output keeps the worklet pulled by the audio graph in every browser
  const mute = audio.createGain();
  mute.gain.value = 0;
  source.connect(node);
  node.connect(mute).connect(audio.destination);
  $('live').classList.add('on');
  $('live-text').textContent = 'Stop recording';
  $('result').hidden = false;
  $('source').textContent = 'Live microphone';
  $('caption').hidden = true;
  $('timeline').hidden = false;
  drawChart([], true);
  $('prosody').textContent = 'Pitch, loudness and rate come with the summary when you stop.';
  setStatus('Listening… speak for a couple of seconds.');
}

function onStreamMessage(m) {
  const live = state.live;
  if (m.type === 'window') {
    if (!live) return;
    $('duration').textContent = m.end.toFixed(1) + ' s';
    if (m.voice) {
      renderEmotions(m.emotions);
      renderDimensions(m);
      live.points.push(m);
      drawChart(live.points, true);
      setStatus('Listening…');
    } else setStatus('Listening… (no voice in the last window)');
  } else if (m.type === 'summary') {
    renderAnalysis(m, 'Live recording');
    if (live && live.points.length) drawChart(live.points);
    setStatus('Recording analysed.');
  } else if (m.type === 'error') setStatus(m.detail || m.error, true);
}

function stopLive() {
  const live = state.live;
  if (!live) return;
  live.node.disconnect();
  live.stream.getTracks().forEach(t => t.stop());
  live.audio.close();
  if (live.socket.readyState === WebSocket.OPEN) { live.socket.send(JSON.stringify({ type: 'end' })); setStatus('Summarising…'); }
  $('live').classList.remove('on');
  $('live-text').textContent = 'Record from the microphone';
}

function finishLive() {
  stopLive();
  state.live = null;
}

$('file').addEventListener('change', (e) => { if (e.target.files[0]) analyzeFile(e.target.files[0]); e.target.value = ''; });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) analyzeFile(e.dataTransfer.files[0]); });
$('live').addEventListener('click', () => { if (state.live && $('live').classList.contains('on')) stopLive(); else startLive(); });
$('key').addEventListener('change', loadModels);
loadModels();
