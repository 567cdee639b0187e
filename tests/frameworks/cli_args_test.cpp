// `agora` argument parsing: subcommands, options in both spellings, and `--`.
#include <gtest/gtest.h>

#include "cli/args.hpp"

namespace agora::cli {
namespace {

StatusOr<CliArgs> parse(std::vector<std::string> words) { return parseArgs(words); }

TEST(CliArgsTest, RunTakesOptionsAndTheCommandAfterDashes) {
  auto args = parse({"--master=h:1", "run", "--name", "job", "--cpus=0.5", "--mem", "64", "--env",
                     "A=1", "--env=B=x=y", "--role", "eng", "--", "echo", "--name", "a b"});
  ASSERT_TRUE(args.isOk()) << args.status().message();
  EXPECT_EQ(args->master, "h:1");
  EXPECT_EQ(args->command, "run");
  EXPECT_EQ(args->run.name, "job");
  EXPECT_EQ(args->run.cpus, 0.5);
  EXPECT_EQ(args->run.mem, 64);
  ASSERT_EQ(args->run.env.size(), 2u);
  EXPECT_EQ(args->run.env[1].first, "B");
  EXPECT_EQ(args->run.env[1].second, "x=y");
  EXPECT_EQ(args->run.role, "eng");
  EXPECT_EQ(args->run.command, (std::vector<std::string>{"echo", "--name", "a b"}));
}

TEST(CliArgsTest, RunInAnImage) {
  auto args = parse({"run", "--image", "127.0.0.1:5000/busybox:1.0", "--network=bridge", "--",
                     "echo", "hi"});
  ASSERT_TRUE(args.isOk()) << args.status().message();
  EXPECT_EQ(args->run.image, "127.0.0.1:5000/busybox:1.0");
  EXPECT_EQ(args->run.network, "bridge");
  auto bad = parse({"run", "--image", "x", "--network", "overlay", "--", "true"});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("--network"), std::string::npos);
  EXPECT_EQ(parse({"run", "--", "true"})->run.image, "");
}

// `--fetch` is repeatable and keeps the order given (the URIs are fetched in that order).
TEST(CliArgsTest, RunFetchesUris) {
  auto args = parse({"run", "--fetch", "http://h/app.tgz", "--fetch=/srv/tool.sh", "--", "true"});
  ASSERT_TRUE(args.isOk()) << args.status().message();
  EXPECT_EQ(args->run.fetch, (std::vector<std::string>{"http://h/app.tgz", "/srv/tool.sh"}));
  EXPECT_FALSE(parse({"run", "--fetch=", "--", "true"}).isOk());
}

TEST(CliArgsTest, ImageImport) {
  auto args = parse({"image", "import", "/tmp/layout", "--name", "busybox", "--as", "box:1",
                     "--work_dir=/var/lib/agora/agent"});
  ASSERT_TRUE(args.isOk()) << args.status().message();
  EXPECT_EQ(args->command, "image");
  EXPECT_EQ(args->image.path, "/tmp/layout");
  EXPECT_EQ(args->image.name, "busybox");
  EXPECT_EQ(args->image.as, "box:1");
  EXPECT_EQ(args->image.workDir, "/var/lib/agora/agent");
  EXPECT_FALSE(parse({"image", "import"}).isOk());
  EXPECT_FALSE(parse({"image", "export", "/x"}).isOk());
}

TEST(CliArgsTest, RunDefaults) {
  auto args = parse({"run", "--", "true"});
  ASSERT_TRUE(args.isOk());
  EXPECT_EQ(args->master, "");
  EXPECT_EQ(args->run.name, "agora-run");
  EXPECT_EQ(args->run.cpus, 0.1);
  EXPECT_EQ(args->run.mem, 32);
  EXPECT_EQ(args->run.role, "*");
}

TEST(CliArgsTest, ListAndLogsOptions) {
  auto tasks = parse({"tasks", "--json", "--master", "m:2"});
  ASSERT_TRUE(tasks.isOk());
  EXPECT_TRUE(tasks->json);
  EXPECT_EQ(tasks->master, "m:2");
  auto logs = parse({"logs", "load-3", "--stderr", "-f"});
  ASSERT_TRUE(logs.isOk());
  EXPECT_EQ(logs->logs.taskId, "load-3");
  EXPECT_TRUE(logs->logs.stderrFile);
  EXPECT_TRUE(logs->logs.follow);
}

TEST(CliArgsTest, ErrorsNameTheProblem) {
  auto expectError = [](std::vector<std::string> words, const std::string& part) {
    auto args = parseArgs(words);
    ASSERT_FALSE(args.isOk());
    EXPECT_NE(args.status().message().find(part), std::string::npos) << args.status().message();
  };
  expectError({}, "no command");
  expectError({"launch"}, "unknown command 'launch'");
  expectError({"run"}, "needs a command");
  expectError({"run", "--cpus", "zero", "--", "x"}, "--cpus must be a positive number");
  expectError({"run", "--mem", "-1", "--", "x"}, "--mem must be a positive number");
  expectError({"run", "--env", "NOEQUALS", "--", "x"}, "KEY=VALUE");
  expectError({"agents", "--bogus"}, "unknown option --bogus for 'agents'");
  expectError({"agents", "--json=1"}, "takes no value");
  expectError({"logs"}, "needs a task id");
  expectError({"logs", "a", "b"}, "unexpected argument 'b'");
  expectError({"tasks", "--", "x"}, "only used by 'run'");
  expectError({"run", "--name"}, "needs a value");
}

TEST(CliArgsTest, HelpNeedsNothingElse) {
  auto args = parse({"--help"});
  ASSERT_TRUE(args.isOk());
  EXPECT_EQ(args->command, "help");
}

}  // namespace
}  // namespace agora::cli
