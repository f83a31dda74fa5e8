package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/lake"
)

// DB is the current warehouse, open read-only: serving never writes, so a build can run beside
// it, and a reader keeps the file it opened even after a newer build is swapped in.
type DB struct {
	db   *sql.DB
	path string
}

// Open opens the warehouse CURRENT names in the data folder, read-only. It returns an
// EUNAVAILABLE error when no build has succeeded yet, and ECONFLICT when another process holds
// the file for writing.
func Open(dir string) (*DB, error) {
	layout := lake.Layout{Dir: dir}
	name, err := current(layout)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &minsheng.Error{
			Code: minsheng.EUNAVAILABLE,
			Zh:   "数据仓库尚未生成,请先运行 minsheng build",
			En:   "no warehouse has been built yet: run minsheng build",
			Err:  err,
		}
	}
	if err != nil {
		return nil, err
	}
	path := layout.WarehouseFile(name)
	db, err := openDuckDB(path, true)
	if err != nil {
		return nil, err
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, friendlyOpenError(err)
	}
	return &DB{db: db, path: path}, nil
}

// Close closes the warehouse.
func (d *DB) Close() error { return d.db.Close() }

// Path is the warehouse file open.
func (d *DB) Path() string { return d.path }

// SQL is the read-only handle, for queries over the marts.
func (d *DB) SQL() *sql.DB { return d.db }

// Indicator is one target of a year's plan at an as-of date (mart_indicator_daily).
type Indicator struct {
	Year                                      int
	Code, Item, Title, LeadUnit, Kind, Unit   string
	Parent                                    string
	Measure                                   string   // the value form of the target's measure: count, share or mean_yuan
	Target                                    *float64 // nil for a monitor
	AsOf                                      time.Time
	DataAsOf                                  time.Time // the day the values are of: AsOf, or the newest record date when AsOf is later
	TimeProgress                              float64   // of AsOf
	Actual, Numerator, AmountYuan, Completion *float64
	Denominator                               *int64
	Status                                    string
}

// DataEnd is the newest record date of a plan year: the last day of the daily marts, and the
// as-of date the API defaults to. ENOTFOUND for a year with no plan.
func (d *DB) DataEnd(ctx context.Context, year int) (time.Time, error) {
	var t time.Time
	var end sql.NullTime
	err := d.db.QueryRowContext(ctx, "select max(as_of_on) from mart_indicator_daily where year = ?", year).Scan(&end)
	if err == nil && !end.Valid {
		return t, minsheng.Errorf(minsheng.ENOTFOUND, "%d 年没有目标清单", "there is no plan for %d", year)
	}
	return end.Time, err
}

// Indicators returns every target of the year's plan at the end of asOf, in the plan's order.
// An as-of date after the newest record date takes the values of that date, with the time
// progress and status of asOf (the status rule is the warehouse's own macro).
func (d *DB) Indicators(ctx context.Context, year int, asOf time.Time) ([]Indicator, error) {
	if asOf.Year() != year {
		return nil, minsheng.Errorf(minsheng.EINVALID, "统计日期 %s 不在 %d 年内", "the as-of date %s is not in %d",
			asOf.Format("2006-01-02"), year)
	}
	end, err := d.DataEnd(ctx, year)
	if err != nil {
		return nil, err
	}
	day := asOf
	if day.After(end) {
		day = end
	}
	rs, err := d.db.QueryContext(ctx, `
		with asked as (
			select
				(cast(? as date) - make_date(?, 1, 1) + 1)
					/ (make_date(?, 12, 31) - make_date(?, 1, 1) + 1) as time_progress,
				s.value as lag_band_points
			from plan_settings as s
			where s.year = ? and s.target_code = '' and s.name = 'lag_band_points'
		)
		select
			d.year, d.code, d.item, d.title, d.lead_unit, d.kind, d.unit,
			coalesce(d.parent_code, ''), d.value_form, d.target, d.as_of_on, asked.time_progress,
			d.actual, cast(d.numerator as double), d.denominator, cast(d.amount_yuan as double),
			case when d.kind = 'count' then d.actual / d.target end,
			indicator_status(d.kind, d.target, d.actual, asked.time_progress, asked.lag_band_points)
		from mart_indicator_daily as d, asked
		where d.year = ? and d.as_of_on = ?
		order by d.sort_order`,
		dateString(asOf), year, year, year, year, year, dateString(day))
	if err != nil {
		return nil, fmt.Errorf("warehouse: indicators: %w", err)
	}
	defer rs.Close()
	var out []Indicator
	for rs.Next() {
		var in Indicator
		if err := rs.Scan(&in.Year, &in.Code, &in.Item, &in.Title, &in.LeadUnit, &in.Kind, &in.Unit,
			&in.Parent, &in.Measure, &in.Target, &in.DataAsOf, &in.TimeProgress,
			&in.Actual, &in.Numerator, &in.Denominator, &in.AmountYuan, &in.Completion, &in.Status); err != nil {
			return nil, fmt.Errorf("warehouse: indicators: %w", err)
		}
		in.AsOf = asOf
		out = append(out, in)
	}
	return out, rs.Err()
}

func dateString(t time.Time) string { return t.Format("2006-01-02") }
