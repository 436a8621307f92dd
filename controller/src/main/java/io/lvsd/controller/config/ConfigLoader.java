package io.lvsd.controller.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigIncluderFile;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a director's configuration: the operator's HOCON file (with its includes) over every
 * module's {@code reference.conf}, bound and validated in one step.
 *
 * <p>Includes: {@code include "x.conf"} and {@code include file("x.conf")} are relative to the
 * including file and must exist; a name with {@code *}, {@code ?} or {@code [} in its last
 * component ({@code include "conf.d/*.conf"}) includes every matching file in name order, later
 * files overriding earlier ones, and may match none.
 */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    /** Loads {@code file}; never throws for bad content: problems are in the result. */
    public static LoadResult load(Path file) {
        Problems problems = new Problems();
        if (!Files.isRegularFile(file)) {
            problems.error(null, "", "cannot read " + file + ": " + (Files.exists(file) ? "not a regular file" : "no such file"));
            return new LoadResult(null, problems.errors(), List.of());
        }
        if (!Files.isReadable(file)) {
            problems.error(null, "", "cannot read " + file + ": permission denied");
            return new LoadResult(null, problems.errors(), List.of());
        }
        Config reference = Reference.CONFIG;
        Config merged;
        try {
            Config user = ConfigFactory.parseFile(file.toFile(), options());
            merged = user.withFallback(reference).resolve();
        } catch (ConfigException e) {
            ConfigOrigin where = e.origin() != null ? e.origin() : ConfigOriginFactory.newFile(file.toString());
            problems.error(where, "", strippedMessage(e));
            return new LoadResult(null, problems.errors(), List.of());
        }
        ConfigBinder binder = new ConfigBinder(merged, reference);
        LvsdConfig config = binder.bind(file);
        return new LoadResult(config, binder.problems().errors(), binder.problems().warnings());
    }

    /**
     * Every module's reference.conf, merged (without the system-property overrides that
     * ConfigFactory.defaultReference() would add); read once, on first use: it is immutable and the same for every
     * load and reload.
     */
    private static final class Reference {
        static final Config CONFIG = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf");
    }

    static ConfigParseOptions options() {
        return ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false)
                .setIncluder(new GlobIncluder());
    }

    /** Typesafe's messages start with the origin; ours put it in front in file:line form. */
    private static String strippedMessage(ConfigException e) {
        String msg = e.getMessage();
        ConfigOrigin o = e.origin();
        if (o != null && msg.startsWith(o.description() + ": ")) {
            msg = msg.substring(o.description().length() + 2);
        } else if (o == null && msg.startsWith("null: ")) {
            msg = msg.substring(o.description().length() + 2);
        }
        return msg;
    }

    /** An include that cannot be read; Typesafe's own exceptions need an origin we do not have. */
    static final class IncludeFailure extends ConfigException {
        IncludeFailure(String message) {
            super(message, null);
        }
    }

    /** Resolves includes relative to the including file, with globs and without silent misses. */
    static final class GlobIncluder implements ConfigIncluder, ConfigIncluderFile {
        @Override
        public ConfigIncluder withFallback(ConfigIncluder fallback) {
            return this;
        }

        @Override
        public ConfigObject include(ConfigIncludeContext context, String what) {
            Path base = baseDir(context);
            return includePath(context, base == null ? Path.of(what) : base.resolve(what));
        }

        @Override
        public ConfigObject includeFile(ConfigIncludeContext context, File what) {
            Path base = baseDir(context);
            Path p = what.toPath();
            return includePath(context, p.isAbsolute() || base == null ? p : base.resolve(p));
        }

        private static Path baseDir(ConfigIncludeContext context) {
            // "." exists beside every file, so Typesafe resolves it to the including file's directory.
            var probe = context.relativeTo(".");
            if (probe == null || probe.origin().filename() == null) {
                return null;
            }
            return Path.of(probe.origin().filename()).normalize();
        }

        private ConfigObject includePath(ConfigIncludeContext context, Path path) {
            ConfigParseOptions opts = context.parseOptions().setAllowMissing(false).setIncluder(this).setOriginDescription(null);
            String last = path.getFileName() == null ? "" : path.getFileName().toString();
            if (!last.contains("*") && !last.contains("?") && !last.contains("[")) {
                if (!Files.isRegularFile(path)) {
                    throw new IncludeFailure("include \"" + path + "\": no such file");
                }
                return ConfigFactory.parseFile(path.toFile(), opts).root();
            }
            Path dir = path.getParent() == null ? Path.of(".") : path.getParent();
            PathMatcher matcher = dir.getFileSystem().getPathMatcher("glob:" + last);
            List<Path> matches = new ArrayList<>();
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                    for (Path p : ds) {
                        if (matcher.matches(p.getFileName()) && Files.isRegularFile(p)) {
                            matches.add(p);
                        }
                    }
                } catch (IOException e) {
                    throw new IncludeFailure("include \"" + path + "\": " + e.getMessage());
                }
            }
            matches.sort(null);
            Config acc = ConfigFactory.empty();
            for (Path p : matches) {
                acc = ConfigFactory.parseFile(p.toFile(), opts).withFallback(acc);
            }
            return acc.root();
        }
    }
}
