using System.Diagnostics;
using System.Text;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// A child process for tasklets: <see cref="WaitForExit()"/> suspends only the calling tasklet (main or hard), and the
/// redirected standard streams are <see cref="CooperativeStream"/>s (with <see cref="StreamReader"/> /
/// <see cref="StreamWriter"/> conveniences over them), so reading a child's output blocks no other tasklet.
/// </summary>
/// <remarks>Thread safety: as <see cref="System.Diagnostics.Process"/>: any thread; <see cref="WaitForExit()"/> suspends the calling tasklet (main or hard) of the calling thread's scheduler; its streams follow <see cref="CooperativeStream"/>'s rules.</remarks>
public sealed class CooperativeProcess : IDisposable
{
    private CooperativeStream? _stdout;
    private CooperativeStream? _stderr;
    private CooperativeStream? _stdin;
    private StreamReader? _stdoutReader;
    private StreamReader? _stderrReader;
    private StreamWriter? _stdinWriter;
    private bool _stdinClosed;

    private CooperativeProcess(Process process) => Inner = process;

    /// <summary>
    /// Starts a process (starting does not block for long: it is a fork/exec). Set the <c>Redirect*</c> properties of
    /// <paramref name="startInfo"/> to use the standard streams.
    /// </summary>
    public static CooperativeProcess Start(ProcessStartInfo startInfo)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"No process was started for '{startInfo.FileName}'.");
        return new CooperativeProcess(process);
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>, standard input, output and error redirected.</summary>
    public static CooperativeProcess Start(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Start(info);
    }

    /// <summary>The wrapped process.</summary>
    public Process Inner { get; }

    /// <summary>The process id.</summary>
    public int Id => Inner.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => Inner.HasExited;

    /// <summary>The exit code (after the process exited).</summary>
    public int ExitCode => Inner.ExitCode;

    /// <summary>The child's standard output, as a cooperative stream.</summary>
    public CooperativeStream StandardOutput => _stdout ??= new CooperativeStream(Inner.StandardOutput.BaseStream, leaveOpen: true);

    /// <summary>The child's standard error, as a cooperative stream.</summary>
    public CooperativeStream StandardError => _stderr ??= new CooperativeStream(Inner.StandardError.BaseStream, leaveOpen: true);

    /// <summary>The child's standard input, as a cooperative stream.</summary>
    public CooperativeStream StandardInput => _stdin ??= new CooperativeStream(Inner.StandardInput.BaseStream, leaveOpen: true);

    /// <summary>A reader over <see cref="StandardOutput"/> (use either, not both).</summary>
    public StreamReader StandardOutputReader => _stdoutReader ??= new StreamReader(StandardOutput, Encoding.UTF8, false, 4096, leaveOpen: true);

    /// <summary>A reader over <see cref="StandardError"/> (use either, not both).</summary>
    public StreamReader StandardErrorReader => _stderrReader ??= new StreamReader(StandardError, Encoding.UTF8, false, 4096, leaveOpen: true);

    /// <summary>A writer over <see cref="StandardInput"/>, flushing after every write (use either, not both).</summary>
    public StreamWriter StandardInputWriter =>
        _stdinWriter ??= new StreamWriter(StandardInput, new UTF8Encoding(false), 4096, leaveOpen: true) { AutoFlush = true };

    /// <summary>Closes the child's standard input (it sees end of file).</summary>
    public void CloseStandardInput()
    {
        _stdinWriter?.Flush();
        _stdinWriter = null;
        _stdinClosed = true;
        Inner.StandardInput.Close();
    }

    /// <summary>Waits cooperatively until the process exits (in a soft tasklet: returns if it has exited, raises otherwise).</summary>
    public void WaitForExit()
    {
        if (Cooperative.InSoftTasklet && Inner.HasExited)
        {
            return;
        }

        Cooperative.Wait(token => new ValueTask(Inner.WaitForExitAsync(token)), "CooperativeProcess.WaitForExit()", "CooperativeProcess.WaitForExitAsync()");
    }

    /// <summary>Waits cooperatively at most <paramref name="timeout"/>; returns whether the process exited (in a soft tasklet: only a check that needs no waiting).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (Cooperative.InSoftTasklet && (Inner.HasExited || timeout == TimeSpan.Zero))
        {
            return Inner.HasExited;
        }

        return Cooperative.Wait(
            async token =>
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(token);
                timer.CancelAfter(timeout);
                try
                {
                    await Inner.WaitForExitAsync(timer.Token).ConfigureAwait(false);
                    return true;
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    return false;
                }
            },
            "CooperativeProcess.WaitForExit()",
            "CooperativeProcess.WaitForExitAsync()");
    }

    /// <summary>Waits until the process exits.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => new ValueTask(Inner.WaitForExitAsync(token)), cancellationToken).AsTask();

    /// <summary>Kills the process (and optionally its descendants); does not wait for it.</summary>
    public void Kill(bool entireProcessTree = false) => Inner.Kill(entireProcessTree);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_stdinClosed && !Inner.HasExited)
        {
            _stdinWriter?.Dispose();
        }

        _stdoutReader?.Dispose();
        _stderrReader?.Dispose();
        Inner.Dispose();
    }
}
