import { Show, createContext, untrack, useContext, type JSX } from 'solid-js';

/** What a widget's header needs to move and resize its widget in the grid. */
export interface SlotControls {
  label: string;
  position: () => number;
  count: () => number;
  wide: () => boolean;
  /** Moves the widget to an index of the visible widgets; gives focus back to its handle. */
  moveTo: (index: number) => void;
  toggleWide: () => void;
}

const SlotContext = createContext<SlotControls>();

/**
 * One grid cell of the dashboard: spans two columns when wide, and takes a dragged widget's handle
 * (mouse) to move that widget here. The widget inside renders the handle (`SlotTools`).
 */
export function Slot(props: {
  id: string;
  controls: SlotControls;
  onDrop: (draggedId: string) => void;
  children: JSX.Element;
}) {
  // A slot's controls are made once for its widget; their fields are the reactive parts.
  const controls = untrack(() => props.controls);
  return (
    <div
      class="slot"
      classList={{ wide: props.controls.wide() }}
      data-slot={props.id}
      onDragOver={(event) => {
        if (event.dataTransfer?.types.includes(DRAG_TYPE)) event.preventDefault();
      }}
      onDrop={(event) => {
        const dragged = event.dataTransfer?.getData(DRAG_TYPE);
        if (!dragged) return;
        event.preventDefault();
        props.onDrop(dragged);
      }}
    >
      <SlotContext.Provider value={controls}>{props.children}</SlotContext.Provider>
    </div>
  );
}

const DRAG_TYPE = 'application/x-tether-widget';

/**
 * The handle (drag it, or focus it and use the arrow keys, Home and End) and the width toggle, in
 * the widget's header. Outside a slot (tests, other apps) it renders nothing.
 */
export function SlotTools(props: { id: string }) {
  const slot = useContext(SlotContext);
  return (
    <Show when={slot}>
      {(controls) => {
        let handle!: HTMLButtonElement;
        const move = (index: number) => {
          controls().moveTo(index);
          // Moving the element in the DOM takes focus away; the user is still moving it.
          handle.focus();
        };
        const onKeyDown = (event: KeyboardEvent) => {
          const at = controls().position();
          const last = controls().count() - 1;
          const target: Record<string, number> = {
            ArrowUp: at - 1,
            ArrowLeft: at - 1,
            ArrowDown: at + 1,
            ArrowRight: at + 1,
            Home: 0,
            End: last,
          };
          const index = target[event.key];
          if (index === undefined) return;
          event.preventDefault();
          if (index >= 0 && index <= last && index !== at) move(index);
        };
        return (
          <span class="slot-tools">
            <button
              type="button"
              class="icon-button"
              aria-pressed={controls().wide()}
              aria-label={`Wide ${controls().label}`}
              title="Span two columns"
              onClick={() => controls().toggleWide()}
            >
              <span aria-hidden="true">⇔</span>
            </button>
            <button
              ref={handle}
              type="button"
              class="icon-button grip"
              draggable="true"
              aria-label={`Move ${controls().label}, position ${controls().position() + 1} of ${controls().count()}`}
              title="Drag to move, or use the arrow keys"
              onKeyDown={onKeyDown}
              onDragStart={(event) => {
                event.dataTransfer?.setData(DRAG_TYPE, props.id);
                if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
              }}
            >
              <span aria-hidden="true">⠿</span>
            </button>
          </span>
        );
      }}
    </Show>
  );
}
