// The JavaScript member of the polyglot system: the same text protocol as
// the Rust plugin (`ask <target> <question>` requests `target`; anything
// else is a question to answer). It reads its configuration and counts the
// questions it answered in a key-value bucket.
//
// Build: npx jco componentize app.js --wit ../../../wit --world-name plugin
//          --disable http --disable fetch-event --out js.wasm

import { log, sendMessage, sendRequest } from 'airssys:wasm/host-services@0.1.0';
import { get } from 'wasi:config/store@0.2.0-rc.1';
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft';
import { open } from 'wasi:keyvalue/store@0.2.0-draft';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Opened on first use and kept: each `open` holds a handle until the
// instance ends, and imports cannot be called while the component is built.
let answers;

export const componentLifecycle = {
  // The return value is the response; a thrown `{ tag, val }` is the
  // component-error the requester gets.
  handleMessage(sender, message) {
    const text = decoder.decode(message);
    if (text.startsWith('ask ')) {
      const [target, ...words] = text.slice(4).split(' ');
      const question = words.join(' ');
      let requestId;
      try {
        requestId = sendRequest(target, encoder.encode(question), 5000n);
      } catch (refused) {
        // The host refused at once: `refused.payload` is the messaging-error.
        throw { tag: 'failed', val: `cannot ask ${target}: ${JSON.stringify(refused.payload)}` };
      }
      log('info', `asked ${target} ${JSON.stringify(question)} as ${requestId}`);
      return encoder.encode(`asked ${target}`);
    }
    const greeting = get('greeting') ?? 'hello';
    answers ??= open('answers');
    const count = increment(answers, 'count', 1n);
    return encoder.encode(`js answers ${sender}: ${greeting}, ${text} (answer ${count})`);
  },

  // `callbackResult` is `{ tag: 'ok', val: Uint8Array }` or `{ tag: 'err', val: string }`.
  handleCallback(requestId, callbackResult) {
    const report = callbackResult.tag === 'ok'
      ? `js got: ${decoder.decode(callbackResult.val)}`
      : `js got an error: ${callbackResult.val}`;
    log('info', `${requestId}: ${report}`);
    sendMessage('host', encoder.encode(report));
  },
};
