// Stands in for the AWS Lambda Node.js runtime inside one execution environment ("container"):
// it imports the handler module named by `_HANDLER` from `LAMBDA_TASK_ROOT` as Lambda's Node
// runtime does (an ES module, `index.mjs`), once, then answers invocations one after another,
// keeping the module warm between them as Lambda does. Events arrive as JSON lines on stdin;
// each outcome leaves as one JSON line on file descriptor 3 — `{ "result": … }`, or
// `{ "errorType", "errorMessage" }` built as the runtime builds them (errorType is the error's
// `name`) — so that the function's own logs on stdout/stderr stay apart.
//
// Plain JavaScript on purpose: the bundle runs under bare Node, without the test's TypeScript.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const timeoutMs = Number(process.argv[2]);
const outcomes = createWriteStream('', { fd: 3 });
const [moduleName, exportName] = (process.env._HANDLER ?? '').split('.');

let handler;
let initError;
try {
  const module = await import(
    pathToFileURL(join(process.env.LAMBDA_TASK_ROOT ?? '', `${moduleName}.mjs`)).href
  );
  handler = module[exportName ?? ''];
  if (typeof handler !== 'function') {
    initError = {
      name: 'Runtime.HandlerNotFound',
      message: `${moduleName}.${exportName} is undefined or not exported`,
    };
  }
} catch (error) {
  initError = error;
}

function failure(error) {
  if (error instanceof Error || (error && typeof error === 'object' && 'message' in error)) {
    return { errorType: error.name, errorMessage: error.message };
  }
  return { errorType: 'Error', errorMessage: String(error) };
}

for await (const line of createInterface({ input: process.stdin })) {
  const event = JSON.parse(line);
  const deadline = Date.now() + timeoutMs;
  const context = {
    awsRequestId: randomUUID(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let outcome;
  if (initError) {
    outcome = failure(initError);
  } else {
    try {
      outcome = { result: (await handler(event, context)) ?? null };
    } catch (error) {
      outcome = failure(error);
      // What the runtime logs for a failed invocation (JSON log format).
      console.error(JSON.stringify({ level: 'ERROR', requestId: context.awsRequestId, ...outcome }));
    }
  }
  outcomes.write(`${JSON.stringify(outcome)}\n`);
}
