import { useId, useMemo, useState, type KeyboardEvent } from 'react';
import type { Instrument } from '../../../main/ipc/contract.ts';

const MAX_SHOWN = 8;

/** A keyboard-first combobox: type to filter by symbol or description, arrows to move, Enter to pick. */
export function InstrumentPicker(props: {
  id: string;
  instruments: readonly Instrument[];
  value: string;
  onChange: (symbol: string) => void;
  invalid: boolean;
  describedBy?: string;
  inputRef?: React.Ref<HTMLInputElement>;
}) {
  const { instruments, value, onChange } = props;
  const listId = useId();
  const [query, setQuery] = useState(value);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);

  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (q === '') return instruments.slice(0, MAX_SHOWN);
    const starts: Instrument[] = [];
    const contains: Instrument[] = [];
    for (const i of instruments) {
      const s = i.symbol.toLowerCase();
      if (s.startsWith(q)) starts.push(i);
      else if (s.includes(q) || i.description.toLowerCase().includes(q) || (i.securityId ?? '').toLowerCase().includes(q)) contains.push(i);
      if (starts.length >= MAX_SHOWN) break;
    }
    return [...starts, ...contains].slice(0, MAX_SHOWN);
  }, [instruments, query]);

  const selected = instruments.find((i) => i.symbol === value);

  function pick(i: Instrument) {
    setQuery(i.symbol);
    onChange(i.symbol);
    setOpen(false);
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, matches.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter' && open && matches[active]) {
      e.preventDefault();
      pick(matches[active]);
    } else if (e.key === 'Escape' && open) {
      e.stopPropagation();
      setOpen(false);
    }
  }

  return (
    <div className="combo">
      <input
        id={props.id}
        ref={props.inputRef}
        role="combobox"
        aria-expanded={open && matches.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && matches[active] ? `${listId}-${active}` : undefined}
        aria-invalid={props.invalid || undefined}
        aria-describedby={props.describedBy}
        className={props.invalid ? 'invalid' : ''}
        autoComplete="off"
        spellCheck={false}
        placeholder="Search symbol or name"
        value={query}
        maxLength={64}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
          setOpen(true);
          // Typing an exact symbol selects it; anything else clears the selection until picked.
          const exact = instruments.find((i) => i.symbol.toLowerCase() === e.target.value.trim().toLowerCase());
          onChange(exact ? exact.symbol : e.target.value.trim());
        }}
        // Focus the app puts here on its own (after sign-in) must not drop the list over the ticket.
        onFocus={(e) => { if (e.currentTarget.dataset.quietFocus === '1') delete e.currentTarget.dataset.quietFocus; else setOpen(true); }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKeyDown}
      />
      {selected && !open && <div className="combo-hint muted small">{selected.description}{selected.currency ? ` · ${selected.currency}` : ''}</div>}
      {open && matches.length > 0 && (
        <ul className="combo-list" id={listId} role="listbox">
          {matches.map((i, idx) => (
            <li
              key={i.symbol}
              id={`${listId}-${idx}`}
              role="option"
              aria-selected={idx === active}
              className={idx === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(i);
              }}
            >
              <span className="mono">{i.symbol}</span> <span className="muted">{i.description}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
