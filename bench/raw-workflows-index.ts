/** Every raw baseline workflow, for a worker whose workflowsPath points here (the DAG bench's raw worker). */
export { rawChainWorkflow, rawTaskWorkflow } from './raw-workflow';
export { rawFanoutWorkflow } from './raw-fanout-workflow';
