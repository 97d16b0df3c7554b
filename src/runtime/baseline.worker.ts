/** The classical baseline's worker: see baseline.ts. */
import { answerBaseline, type BaselineReply, type BaselineRequest } from './baseline';

interface BaselineScope {
  onmessage: ((event: MessageEvent<BaselineRequest>) => void) | null;
  postMessage(message: BaselineReply, transfer: Transferable[]): void;
}
const scope = self as unknown as BaselineScope;

scope.onmessage = (event) => {
  const reply = answerBaseline(event.data);
  const views =
    reply.status === 'filled'
      ? reply.fills.flatMap((fill) => (fill.view ? [fill.view.buffer as ArrayBuffer] : []))
      : [];
  scope.postMessage(reply, views);
};
