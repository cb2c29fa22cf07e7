import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';

export interface Column<R> {
  id: string;
  label: string;
  /** CSS grid track, e.g. "90px" or "1fr". */
  width: string;
  align?: 'left' | 'right';
  cell: (row: R) => ReactNode;
  /** Dropped when the table is narrower than this many pixels (least important columns first). */
  hideBelow?: number;
}

/** The element's content width, kept current with a ResizeObserver. */
function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(() => (typeof window === 'undefined' ? 1200 : window.innerWidth));
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w) setWidth(Math.round(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}

const ROW_HEIGHT = 26;

/**
 * A table that renders only the rows in view, so 100,000 rows cost what 30 do. `rowAt` maps a display
 * index to a row so callers can show a list newest-first without copying it.
 */
export function VirtualTable<R>({ label, columns: allColumns, count, rowAt, rowKey, rowClass, version, empty }: {
  label: string;
  columns: readonly Column<R>[];
  count: number;
  rowAt: (index: number) => R | undefined;
  rowKey: (row: R, index: number) => string;
  rowClass?: (row: R) => string;
  /** Changes whenever row contents change, so visible rows re-render. */
  version: number;
  empty: ReactNode;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const width = useWidth(wrapRef);
  const columns = allColumns.filter((c) => !c.hideBelow || width >= c.hideBelow);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    initialRect: { width: 800, height: 300 },
  });
  const template = columns.map((c) => c.width).join(' ');
  const items = virtualizer.getVirtualItems();

  return (
    <div ref={wrapRef} className="vtable" role="table" aria-label={label} aria-rowcount={count + 1} data-version={version}>
      <div className="vrow vhead" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template }}>
        {columns.map((c) => <div key={c.id} role="columnheader" className={c.align === 'right' ? 'num' : ''}>{c.label}</div>)}
      </div>
      <div className="vscroll" ref={scrollRef} tabIndex={0} aria-label={`${label}, ${count.toLocaleString('en-US')} rows; scroll with arrow keys`}>
        {count === 0 ? (
          <div className="empty muted">{empty}</div>
        ) : (
          <div role="rowgroup" className="vbody" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const row = rowAt(item.index);
              if (row === undefined) return null;
              return (
                <div
                  key={rowKey(row, item.index)}
                  role="row"
                  aria-rowindex={item.index + 2}
                  className={`vrow ${rowClass?.(row) ?? ''}`}
                  style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                >
                  {columns.map((c) => <div key={c.id} role="cell" className={c.align === 'right' ? 'num' : ''}>{c.cell(row)}</div>)}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
