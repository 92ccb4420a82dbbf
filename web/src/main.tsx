/** Entry of the console: one query client, the app, nothing rendered as HTML from a string. */
import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiFailure } from './http/client';
import { SESSION_KEY } from './http/session';
import { App } from './App';
import './styles.css';

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({
    // A 401 on any call means the session ended (expired, signed out elsewhere, token revoked): back to sign-in.
    onError: (err, query) => {
      if (err instanceof ApiFailure && err.status === 401 && query.queryKey[0] !== SESSION_KEY[0])
        queryClient.setQueryData(SESSION_KEY, null);
    },
  }),
  defaultOptions: {
    queries: { retry: (count, err) => !(err instanceof ApiFailure && err.status < 500) && count < 2 },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
