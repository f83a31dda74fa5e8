package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/ingest"
	"github.com/minsheng/minsheng/lake"
)

// checkKey opens the data folder's pseudonym key as ingest will (refusing a key that is not the
// folder's, e.g. the old one after a rekey) and warns on stderr, loudly, when the key is kept
// where a copy of the folder takes it along. ingest and serve call it before anything else.
func checkKey(dir string, stderr io.Writer) (*ingest.KeyInfo, error) {
	k, err := ingest.OpenKey(dir)
	if err != nil {
		return nil, err
	}
	if w := k.Warning(); w != "" {
		fmt.Fprint(stderr, w)
	}
	return k, nil
}

const rekeyUsage = `minsheng rekey: re-pseudonymise the lake under a new key (key rotation)

  minsheng rekey --data DIR --new-key-file PATH     PATH is read, or a new random key is written there (0600)
  MINSHENG_NEW_PII_KEY=... minsheng rekey --data DIR

Every file of the manifest is ingested again from DIR/archive with the new key, into a staging
folder; when its counts match the old manifest it is swapped in, the warehouse is rebuilt, and
the old key is refused from then on. Stop the service first; start it again with the new key
(MINSHENG_PII_KEY_FILE=PATH).

`

func runRekey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var newKeyFile string
	var allow, noBuild bool
	m, p, err := newPipeline(args, "rekey", stdout, func(fs *flag.FlagSet) {
		fs.Usage = func() { fmt.Fprint(fs.Output(), rekeyUsage); fs.PrintDefaults() }
		fs.StringVar(&newKeyFile, "new-key-file", "", "the new key's file: read if it exists, else a new key is written there; keep it outside the data folder")
		fs.BoolVar(&allow, "allow-differences", false, "swap the new lake in even if a file's counts differ from the old manifest")
		fs.BoolVar(&noBuild, "no-build", false, "do not rebuild the warehouse afterwards (it keeps the old pseudonyms until the next build)")
	})
	if p != nil {
		defer p.Close()
	}
	if err != nil {
		return err
	}
	cfg := ingest.RekeyConfig{Dir: m.Data, Registry: m.Registry, County: m.County, NewKeyFile: newKeyFile,
		AllowDifferences: allow, Log: stdout}
	if env := strings.TrimSpace(os.Getenv(ingest.EnvNewKey)); env != "" {
		if newKeyFile != "" {
			return minsheng.Errorf(minsheng.EINVALID, "--new-key-file 与 %s 只能给一个", "give one of --new-key-file and %s", ingest.EnvNewKey)
		}
		if cfg.NewKey, err = ingest.ParseKey(env); err != nil {
			return minsheng.Errorf(minsheng.EINVALID, "%s 应为十六进制密钥或不少于 16 字节的文本",
				"%s must be a hex key or text of 16 bytes or more", ingest.EnvNewKey)
		}
	}
	fmt.Fprintf(stdout, "正在用新密钥从原件存档重新假名化 / re-pseudonymising the lake from the archive under the new key: %s\n", m.Data)
	res, err := ingest.Rekey(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "密钥已轮换:%d 个文件重新导入,%d 行入湖、%d 行拒收,旧密钥从此被拒绝 / key rotated: %d files ingested again, %d rows landed and %d rejected; the old key is refused from now on (%.1f s)\n",
		res.Files, res.Landed, res.Rejected, res.Files, res.Landed, res.Rejected, res.Duration.Seconds())
	for _, d := range res.Differences {
		fmt.Fprintf(stdout, "  与原清单不同 / differs from the old manifest: %s\n", d)
	}
	switch {
	case res.KeyFile == "":
		fmt.Fprintf(stdout, "今后请以新密钥运行 ingest 与 serve(%s)/ from now on run ingest and serve with the new key (%s)\n", ingest.EnvKey, ingest.EnvKey)
	case res.KeyInDataDir:
		fmt.Fprintf(stdout, "新密钥 / new key: %s\n", res.KeyFile)
		if filepath.Clean(res.KeyFile) != filepath.Clean(lake.Layout{Dir: m.Data}.KeyFile()) {
			fmt.Fprintf(stdout, "今后请设置 / from now on set %s=%s\n", ingest.EnvKeyFile, res.KeyFile)
		}
	default:
		made := ""
		if res.KeyGenerated {
			made = "(新生成,仅本用户可读 / generated, mode 0600)"
		}
		fmt.Fprintf(stdout, "新密钥 / new key: %s %s\n今后请以 %s=%s 运行 ingest 与 serve / from now on run ingest and serve with %s=%s\n",
			res.KeyFile, made, ingest.EnvKeyFile, res.KeyFile, ingest.EnvKeyFile, res.KeyFile)
	}
	if old := strings.TrimSpace(os.Getenv(ingest.EnvKeyFile)); old != "" && res.KeyFile != old {
		fmt.Fprintf(stdout, "旧密钥文件 %s 已不再使用,可以销毁 / the old key file %s is no longer used and can be destroyed\n", old, old)
	}
	if res.KeyInDataDir {
		fmt.Fprint(stderr, (&ingest.KeyInfo{Path: res.KeyFile, InDataDir: true}).Warning())
	}
	if noBuild {
		fmt.Fprintln(stdout, "未重建数据仓库:请运行 minsheng build,在此之前它仍是旧假名 / warehouse not rebuilt: run minsheng build; until then it holds the old pseudonyms")
		return nil
	}
	b, err := p.Build(ctx)
	if err != nil {
		return buildError(err)
	}
	fmt.Fprintf(stdout, "数据仓库已重建并启用 / warehouse rebuilt and swapped in: %s\n", b.Path)
	return nil
}
