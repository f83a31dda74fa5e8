package warehouse

import (
	"database/sql"
	"errors"
	"io/fs"

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
