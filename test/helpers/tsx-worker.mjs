// Worker threads do not inherit tsx's loader from `node --import tsx`: this bootstrap registers
// it in the worker, then runs the TypeScript module named by workerData.module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
