import { useRegions } from "./useRegions";

interface RegionSelectProps {
  value: string;
  onChange: (region: string) => void;
}

/** Region picker fed by GET /api/regions; says so when it had to fall back to US. */
export function RegionSelect({ value, onChange }: RegionSelectProps) {
  const { regions, error, isLoading } = useRegions();
  const options = regions.includes(value) ? regions : [value, ...regions];
  return (
    <div className="field">
      <label className="field__label" htmlFor="region-select">
        Region
      </label>
      <select
        id="region-select"
        data-testid="region-select"
        value={value}
        disabled={isLoading}
        onChange={(event) => onChange(event.target.value)}
      >
        {options.map((region) => (
          <option key={region} value={region}>
            {region}
          </option>
        ))}
      </select>
      {error && (
        <p className="field__error" role="alert" data-testid="regions-error">
          Couldn't load regions ({error.message}); showing US only.
        </p>
      )}
    </div>
  );
}
