package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/nightly"
	"github.com/minsheng/minsheng/pipeline"
	"github.com/minsheng/minsheng/site"
	"github.com/minsheng/minsheng/warehouse"
)

// countyZone is the county's time zone: the nightly time and "today" are read in it.
const countyZone = "Asia/Shanghai"

func newPipeline(args []string, name string, stdout io.Writer, extra func(*flag.FlagSet)) (*Main, *pipeline.Pipeline, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	data, registry, county := commonFlags(fs)
	targets := fs.String("targets", "", "a folder of yearly target files <year>.yaml (default: the shipped ones)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	m, err := loadMain(*data, *registry, *county, stdout)
	if err != nil {
		return nil, nil, err
	}
	plans, err := minsheng.LoadPlans(*targets, m.Registry)
	if err != nil {
		return nil, nil, err
	}
	m.Plans = plans
	p, err := pipeline.New(pipeline.Config{Dir: m.Data, Registry: m.Registry, County: m.County, Plans: plans})
	return m, p, err
}

func runBuild(ctx context.Context, args []string, stdout io.Writer) error {
	_, p, err := newPipeline(args, "build", stdout, nil)
	if err != nil {
		return err
	}
	res, err := p.Build(ctx)
	if err != nil {
		return buildError(err)
	}
	fmt.Fprintf(stdout, "数据仓库已生成并启用 / warehouse built and swapped in: %s\n", res.Path)
	fmt.Fprintf(stdout, "  %d 个数据文件 files, %d 个模型 models, %d 项数据检验通过 data tests passed, %.1f s\n",
		res.Files, len(res.Models), len(res.Tests), res.Duration.Seconds())
	return nil
}

// buildError says what a failed build means for the people using the service.
func buildError(err error) error {
	var tf *warehouse.TestFailure
	if errors.As(err, &tf) {
		return &minsheng.Error{Code: minsheng.EINVALID,
			Zh:  fmt.Sprintf("数据检验 %s 未通过,新数据仓库未启用,原数据仓库继续服务。问题行:%s", tf.Test, strings.Join(tf.First, ";")),
			En:  fmt.Sprintf("data test %s failed: the new warehouse was not swapped in and the previous one still serves. Offending rows: %s", tf.Test, strings.Join(tf.First, "; ")),
			Err: err}
	}
	return err
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var addr, at string
	var verbose, secure bool
	limits := site.DefaultLimits
	m, p, err := newPipeline(args, "serve", stdout, func(fs *flag.FlagSet) {
		fs.StringVar(&addr, "addr", "127.0.0.1:8080", "the address to listen on, HOST:PORT")
		fs.StringVar(&at, "nightly", "02:00", "when to ingest and build each night, HH:MM county time, or off")
		fs.BoolVar(&verbose, "v", false, "log every request")
		fs.BoolVar(&secure, "secure-cookies", false, "mark session cookies Secure and send HSTS: set it behind a TLS-terminating proxy")
		fs.IntVar(&limits.MaxConnsPerAddr, "max-conns-per-addr", limits.MaxConnsPerAddr,
			"open connections one client address (an IPv6 /64) may hold; further ones are closed at once")
		fs.DurationVar(&limits.ReadTimeout, "read-timeout", limits.ReadTimeout,
			"the longest a request may take to arrive, body included (uploads: as long as their body keeps coming)")
	})
	if err != nil {
		return err
	}
	if _, err := checkKey(m.Data, stderr); err != nil { // refuses a key that is not the folder's; warns if it is in it
		return err
	}
	loc, err := time.LoadLocation(countyZone)
	if err != nil {
		return err
	}
	sched, off, err := nightly.Parse(at, loc)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	// Listen before anything starts in the background, so a taken port returns at once with
	// nothing left running behind it.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return minsheng.Errorf(minsheng.EUNAVAILABLE, "无法监听 %s:%v(端口是否已被占用?)",
			"cannot listen on %s: %v (is the port in use?)", addr, err)
	}
	defer ln.Close()
	// Every goroutine started here ends before runServe returns: none may write to stderr
	// (or touch the data folder) after the caller thinks the server is gone.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	web, err := site.New(site.Config{Dir: m.Data, Registry: m.Registry, Plans: m.Plans, Pipeline: p, Location: loc, Log: log, Secure: secure,
		Limits: limits})
	if err != nil {
		return err
	}
	defer web.Close() // an upload's background build ends before serve returns
	// the one holder of the answers: the pipeline hands it every build of this process (site.New)
	answers := web.Answers

	if _, err := answers.Reload(ctx); err != nil {
		if minsheng.ErrorCode(err) != minsheng.EUNAVAILABLE {
			return err
		}
		// no warehouse yet: build one from the lake as it is, serving 503 meanwhile
		wg.Go(func() {
			if _, err := p.Build(ctx); err != nil && ctx.Err() == nil {
				log.Error("first build failed", "err", buildError(err))
			}
		})
	}
	// a build made by another process (minsheng build beside the server) is found by watching
	wg.Go(func() { answers.Watch(ctx, 2*time.Second) })
	if !off {
		wg.Go(func() {
			nightly.Run(ctx, sched, log, func(ctx context.Context) error {
				if _, err := p.Run(ctx); err != nil {
					return buildError(err)
				}
				return nil
			})
		})
	}

	hs := web.Server() // timeouts: a slow client cannot hold a connection for ever (site.Limits)
	fmt.Fprintf(stdout, "minsheng 正在服务 / serving: http://%s/\n", ln.Addr())
	if off {
		fmt.Fprintln(stdout, "  夜间任务已关闭 / nightly run off")
	} else {
		fmt.Fprintf(stdout, "  夜间导入与构建 / nightly ingest and build: %s %s\n", sched, countyZone)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(web.Listen(ln)) }() // and one address cannot hold them all
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shut); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "已停止 / stopped")
	return nil
}
