/** Registers Capstan's search attributes on a dev server whose database predates some of them. */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../workflows/definitions';

const INDEXED_TYPES = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

/**
 * Adds every attribute of REQUIRED_SEARCH_ATTRIBUTES the namespace lacks; returns the names added.
 * `start-dev --search-attribute` registers them only when it creates its database, so a warm start
 * on a database from an older Capstan would otherwise refuse every run that sets a newer one.
 */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const known = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.entries(REQUIRED_SEARCH_ATTRIBUTES).filter(
      ([name]) => known.customAttributes?.[name] === undefined,
    );
    if (missing.length === 0) return [];
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPES[type]])),
    });
    return missing.map(([name]) => name);
  } finally {
    await connection.close();
  }
}
