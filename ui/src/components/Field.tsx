import type { ReactNode } from "react";

interface FieldProps {
  id: string;
  label: string;
  children: ReactNode;
}

/** A labelled form control; `id` ties the label to the control inside. */
export function Field({ id, label, children }: FieldProps) {
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {children}
    </div>
  );
}

interface SelectFieldProps<T extends string | number> {
  /** Used as the element id and its `data-testid`. */
  id: string;
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (value: string) => void;
  disabled?: boolean;
  children?: ReactNode;
}

/** A labelled `<select>`; `children` render below it (e.g. an error line). */
export function SelectField<T extends string | number>({
  id,
  label,
  value,
  options,
  onChange,
  disabled,
  children,
}: SelectFieldProps<T>) {
  return (
    <Field id={id} label={label}>
      <select
        id={id}
        data-testid={id}
        value={value}
        disabled={disabled}
        onChange={(event) => onChange(event.target.value)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {children}
    </Field>
  );
}
