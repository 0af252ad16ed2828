using System.Text;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

public class CooperativeProcessTests
{
    [Fact]
    public void Cat_echoes_what_a_hard_tasklet_writes_while_others_run() => Isolated.Run(() =>
    {
        using var cat = CooperativeProcess.Start("cat");
        var lines = new List<string>();
        var steps = 0;
        Tasklet.SpawnHard(() =>
        {
            for (var i = 0; i < 50; i++)
            {
                cat.StandardInputWriter.WriteLine("line " + i);
            }

            cat.CloseStandardInput();
        });
        Tasklet.SpawnHard(() =>
        {
            string? line;
            while ((line = cat.StandardOutputReader.ReadLine()) is not null)
            {
                lines.Add(line);
            }

            cat.WaitForExit();
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                steps++;
                await Task.Delay(1);
            }
        });
        Scheduler.Run();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => "line " + i), lines);
        Assert.Equal(0, cat.ExitCode);
        Assert.Equal(10, steps);
    });

    [Fact]
    public void Shell_output_error_and_exit_code() => Isolated.Run(() =>
    {
        using var sh = CooperativeProcess.Start("/bin/sh", "-c", "echo out; echo err >&2; exit 3");
        var output = new MemoryStream();
        sh.StandardOutput.CopyTo(output);
        var error = sh.StandardErrorReader.ReadToEnd();
        Assert.True(sh.WaitForExit(Stress.HangGuard)); // a hang guard
        Assert.Equal("out\n", Encoding.UTF8.GetString(output.ToArray()));
        Assert.Equal("err\n", error);
        Assert.Equal(3, sh.ExitCode);
    });

    [Fact]
    public void A_process_killed_mid_read_ends_the_read_with_end_of_stream() => Isolated.Run(() =>
    {
        using var sh = CooperativeProcess.Start("/bin/sh", "-c", "echo start; exec sleep 600");
        var lines = new List<string?>();
        var steps = 0;
        Tasklet.SpawnHard(() =>
        {
            lines.Add(sh.StandardOutputReader.ReadLine());
            lines.Add(sh.StandardOutputReader.ReadLine()); // blocks until the kill
            sh.WaitForExit();
        });
        Tasklet.Spawn(async () =>
        {
            while (lines.Count == 0) // counts on the child's output, not on time
            {
                steps++;
                await Task.Delay(5);
            }

            await Task.Delay(20);
            sh.Kill();
        });
        Scheduler.Run(); // the child would sleep 10 minutes: only the kill ends the read this soon
        Assert.Equal(["start", null], lines);
        Assert.True(sh.HasExited);
        Assert.NotEqual(0, sh.ExitCode);
    });

    [Fact]
    public void WaitForExit_with_a_timeout_returns_false_while_running() => Isolated.Run(() =>
    {
        using var sleeper = CooperativeProcess.Start("/bin/sh", "-c", "exec sleep 600");
        Assert.False(sleeper.WaitForExit(TimeSpan.FromMilliseconds(50)));
        sleeper.Kill();
        sleeper.WaitForExit();
        Assert.True(sleeper.HasExited);
    });
}
