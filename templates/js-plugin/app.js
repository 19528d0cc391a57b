// {{project-name}}: an airssys-wasm plugin in JavaScript.
//
// Every message is a question and the return value is the answer, except
// `ask <target> <question>`, which requests `target`; its answer arrives in
// `handleCallback`, which logs it and tells the host.

import { log, sendMessage, sendRequest } from 'airssys:wasm/host-services@0.1.0';
import { get } from 'wasi:config/store@0.2.0-rc.1';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const componentLifecycle = {
  handleMessage(sender, message) {
    const text = decoder.decode(message).trim();
    if (text === '') {
      throw { tag: 'invalid-input', val: 'an empty question' };
    }
    if (text.startsWith('ask ')) {
      const [target, ...words] = text.slice(4).split(' ');
      let requestId;
      try {
        requestId = sendRequest(target, encoder.encode(words.join(' ')), 5000n);
      } catch (refused) {
        throw { tag: 'failed', val: `cannot ask ${target}: ${JSON.stringify(refused.payload)}` };
      }
      log('info', `asked ${target} as ${requestId}`);
      return encoder.encode(`asked ${target}`);
    }
    const greeting = get('greeting') ?? 'Hello';
    log('info', `answering ${sender}`);
    return encoder.encode(`${greeting}, ${text}!`);
  },

  handleCallback(requestId, callbackResult) {
    const report = callbackResult.tag === 'ok'
      ? `answer: ${decoder.decode(callbackResult.val)}`
      : `no answer: ${callbackResult.val}`;
    log('info', `${requestId}: ${report}`);
    sendMessage('host', encoder.encode(report));
  },
};
