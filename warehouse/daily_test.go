package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/minsheng/minsheng/warehouse"
)

// dailyRow is one target at one as-of date, as mart_indicator_daily holds it.
type dailyRow struct {
	Code, Kind                                string
	AsOf, DataAsOf                            time.Time // DataAsOf: the day the values are of
	TimeProgress                              float64   // of AsOf
	Actual, Numerator, AmountYuan, Completion *float64
	Denominator                               *int64
	Status                                    string
}

// dailyAt reads every target of the year's plan at asOf from mart_indicator_daily, in plan order:
// the row the API answers with (a day after the newest record date included).
func dailyAt(t *testing.T, db *warehouse.DB, year int, asOf time.Time) []dailyRow {
	t.Helper()
	rs, err := db.SQL().QueryContext(context.Background(), `
		select code, kind, as_of_on, data_as_of_on, time_progress, actual, cast(numerator as double),
			denominator, cast(amount_yuan as double), completion, status
		from mart_indicator_daily
		where year = ? and as_of_on = cast(? as date)
		order by sort_order`, year, asOf.Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []dailyRow
	for rs.Next() {
		var r dailyRow
		if err := rs.Scan(&r.Code, &r.Kind, &r.AsOf, &r.DataAsOf, &r.TimeProgress, &r.Actual, &r.Numerator,
			&r.Denominator, &r.AmountYuan, &r.Completion, &r.Status); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
