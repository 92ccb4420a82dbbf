/** Capstan's dynamic providers: resources that are real on the machine running the stack. */
import { LOCAL_FILE_TYPES } from './local-files';
import { LOCAL_PROCESS_TYPE } from './local-process';
import { POSTGRES_TYPES } from './postgres';

export { Directory, File, type DirectoryArgs, type FileArgs } from './local-files';
export { Process, type ProcessArgs } from './local-process';
export { Database, Role, type DatabaseArgs, type RoleArgs } from './postgres';

/** Every Pulumi type token these providers create, as stack state and cost analysis see them. */
export const CAPSTAN_RESOURCE_TYPES: readonly string[] = [
  POSTGRES_TYPES.database, POSTGRES_TYPES.role, LOCAL_FILE_TYPES.directory, LOCAL_FILE_TYPES.file, LOCAL_PROCESS_TYPE,
];
