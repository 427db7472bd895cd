import { SelectField } from "../../components/Field";
import { useRegions } from "./useRegions";

interface RegionSelectProps {
  value: string;
  onChange: (region: string) => void;
}

/** Region picker fed by GET /api/regions; says so when it had to fall back to US. */
export function RegionSelect({ value, onChange }: RegionSelectProps) {
  const { regions, error, isLoading } = useRegions();
  const options = (regions.includes(value) ? regions : [value, ...regions]).map((r) => ({ value: r, label: r }));
  return (
    <SelectField
      id="region-select"
      label="Region"
      value={value}
      options={options}
      onChange={onChange}
      disabled={isLoading}
    >
      {error && (
        <p className="field__error" role="alert" data-testid="regions-error">
          Couldn't load regions ({error.message}); showing US only.
        </p>
      )}
    </SelectField>
  );
}
