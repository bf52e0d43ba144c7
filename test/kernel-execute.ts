/**
 * Runs `code` over a kernel's channels WebSocket (`url`), as a notebook front end does: one execute_request,
 * then its execute_result's text/plain (a kernel error rejects). `init` is the WebSocket's second argument
 * (node's WebSocket takes `{ headers }` there). Self-contained, with no imports or outer names: Playwright
 * also runs it inside a page (`page.evaluate(executeOverChannels, { url, code })`) with the page's cookies.
 */
export function executeOverChannels({
  url,
  code,
  init,
}: {
  url: string;
  code: string;
  init?: unknown;
}): Promise<string> {
  const ws = new WebSocket(url, init as string[] | undefined);
  const msgId = crypto.randomUUID();
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no execute_result within 60 s')), 60_000);
    ws.onerror = () => reject(new Error('the kernel WebSocket failed'));
    ws.onopen = () =>
      ws.send(
        JSON.stringify({
          header: {
            msg_id: msgId,
            msg_type: 'execute_request',
            username: '',
            session: crypto.randomUUID(),
            version: '5.3',
            date: new Date().toISOString(),
          },
          parent_header: {},
          metadata: {},
          content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false },
          channel: 'shell',
          buffers: [],
        }),
      );
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data));
      if (msg.parent_header?.msg_id !== msgId) return;
      if (msg.msg_type === 'error') reject(new Error(`${msg.content.ename}: ${msg.content.evalue}`));
      if (msg.msg_type !== 'execute_result') return;
      clearTimeout(timer);
      resolve(msg.content.data['text/plain']);
    };
  }).finally(() => ws.close());
}
