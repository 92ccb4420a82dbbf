/** A plain textarea with line numbers beside it; lines with problems are marked in the gutter. */
import { useRef, type Ref } from 'react';

/** The editor of a spec: `marked` maps 1-based line numbers to what is wrong there. */
export function SpecEditor(props: {
  id: string;
  value: string;
  onChange: (text: string) => void;
  marked: ReadonlyMap<number, string>;
  textareaRef: Ref<HTMLTextAreaElement>;
  describedBy: string;
}) {
  const { id, value, onChange, marked, textareaRef, describedBy } = props;
  const gutter = useRef<HTMLDivElement>(null);
  const count = value.split('\n').length;
  return (
    <div className="spec-editor">
      {/* The numbers repeat what the caret position says; the issue list names the lines for screen readers. */}
      <div className="spec-gutter" aria-hidden="true" ref={gutter} data-testid="gutter">
        {Array.from({ length: count }, (_, i) => {
          const problem = marked.get(i + 1);
          return (
            <div key={i} className={problem ? 'spec-line bad' : 'spec-line'} title={problem} data-line={i + 1}>
              {i + 1}
            </div>
          );
        })}
      </div>
      <textarea
        id={id}
        ref={textareaRef}
        className="spec-text"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        // The gutter scrolls with the text, so each number stays beside its line.
        onScroll={(event) => {
          if (gutter.current) gutter.current.scrollTop = event.currentTarget.scrollTop;
        }}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        autoCorrect="off"
        wrap="off"
        rows={24}
        aria-describedby={describedBy}
        aria-invalid={marked.size > 0 || undefined}
      />
    </div>
  );
}
