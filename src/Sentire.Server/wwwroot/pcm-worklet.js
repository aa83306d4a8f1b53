// Captures the microphone, downsamples it to 16 kHz mono in the page, and posts 16-bit PCM chunks of ~100 ms.
// Each output sample is the mean of the input samples it covers (a box low-pass against aliasing), then
// linearly placed: out[k] = mean(in[t_k .. t_{k+1})), t_k = k * inputRate / 16000.
class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / 16000;     // input samples per output sample (sampleRate: the context's, a global here)
    this.acc = 0; this.n = 0; this.pos = 0;
    this.out = new Int16Array(1600); this.k = 0;
  }
  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const frames = input[0].length;
    for (let i = 0; i < frames; i++) {
      let v = 0;
      for (let c = 0; c < input.length; c++) v += input[c][i];
      this.acc += v / input.length; this.n++; this.pos += 1;
      if (this.pos >= this.step) {
        this.pos -= this.step;
        const s = Math.max(-1, Math.min(1, this.acc / this.n));
        this.out[this.k++] = Math.round(s * 32767);
        this.acc = 0; this.n = 0;
        if (this.k === this.out.length) {
          this.port.postMessage(this.out.buffer, [this.out.buffer]);
          this.out = new Int16Array(1600); this.k = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor('pcm-capture', PcmCapture);
