using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

public sealed class CooperativeFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emu-monkeypatch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Whole_file_helpers_and_streams_in_a_hard_tasklet() => Isolated.Run(() =>
    {
        var path = Path.Combine(_dir, "a.txt");
        var steps = 0;
        string? text = null;
        byte[]? bytes = null;
        string? lines = null;
        Tasklet.SpawnHard(() =>
        {
            CooperativeFile.WriteAllText(path, "hello");
            CooperativeFile.AppendAllText(path, " world");
            using (var writer = CooperativeFile.AppendText(path))
            {
                writer.WriteLine("!");
            }

            text = CooperativeFile.ReadAllText(path);
            bytes = CooperativeFile.ReadAllBytes(path);
            using (var stream = CooperativeFile.OpenWrite(Path.Combine(_dir, "b.bin")))
            {
                Assert.IsType<FileStream>(stream.Inner);
                Assert.True(((FileStream)stream.Inner).IsAsync);
                for (var i = 0; i < 100; i++)
                {
                    stream.Write(new byte[1000]);
                }
            }

            using var reader = CooperativeFile.OpenText(path);
            lines = reader.ReadToEnd();
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                steps++;
                await Scheduler.ScheduleAsync();
            }
        });
        Scheduler.Run();
        Assert.Equal("hello world!\n", text);
        Assert.Equal("hello world!\n"u8.ToArray(), bytes);
        Assert.Equal("hello world!\n", lines);
        Assert.Equal(100_000, new FileInfo(Path.Combine(_dir, "b.bin")).Length);
        Assert.Equal(5, steps);
    });

    [Fact]
    public void Async_forms_in_a_soft_tasklet() => Isolated.RunTasklet(async () =>
    {
        var path = Path.Combine(_dir, "c.bin");
        await CooperativeFile.WriteAllBytesAsync(path, [1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3 }, await CooperativeFile.ReadAllBytesAsync(path));
        await CooperativeFile.WriteAllTextAsync(path, "x");
        await CooperativeFile.AppendAllTextAsync(path, "y");
        Assert.Equal("xy", await CooperativeFile.ReadAllTextAsync(path));
        await using var stream = CooperativeFile.OpenRead(path);
        var buffer = new byte[2];
        Assert.Equal(2, await stream.ReadAsync(buffer));
    });
}
