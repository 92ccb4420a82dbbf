/** Every workflow Capstan registers on the orchestrator task queue. */
export { taskWorkflow } from './task-workflow';
export { dagWorkflow } from './dag-workflow';
export { pipelineWorkflow } from './pipeline-workflow';
export { concurrencyLockWorkflow } from './concurrency-lock-workflow';
export { stackOperationWorkflow } from './stack-operation-workflow';
export { stackQueueWorkflow } from './stack-queue-workflow';
export { stackTtlWorkflow } from './stack-ttl-workflow';
export { costAnalysisWorkflow } from './cost-analysis-workflow';
export { scheduledPipelineWorkflow } from './scheduled-pipeline-workflow';
export { alertEvaluationWorkflow } from './alert-evaluation-workflow';
