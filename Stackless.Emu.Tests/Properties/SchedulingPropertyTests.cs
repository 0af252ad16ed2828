using CsCheck;
using Xunit.Abstractions;

namespace Stackless.Emu.Tests.Properties;

/// <summary>
/// Property-based tests: random programs of tasklet and channel operations (<see cref="ProgramGenerators"/>) run on the
/// library. After every main step the state invariants hold (<see cref="StateView.Violations"/>); over the whole run no
/// value or exception is lost or duplicated (<see cref="Ledger"/>); and every event and state equals what Stackless's
/// C code does (<see cref="StacklessModel"/>). A few hundred programs by default; STACKLESS_FULL_STRESS=1 runs many more.
/// A failing program is shrunk by CsCheck, then minimised step by step (<see cref="Minimize"/>), and printed as
/// Python-like source with both event lists.
/// </summary>
public class SchedulingPropertyTests(ITestOutputHelper output)
{
    private static readonly bool FullStress = Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1";

    private static long Iterations => FullStress ? 20_000 : 300;

    /// <summary>Programs compared event by event, and those of them that took a difference the library states.</summary>
    private static long _compared, _knownDifference;

    /// <summary>
    /// Runs <paramref name="program"/> on the model and on the library; on any difference fails with the smallest program
    /// that still fails the same way.
    /// </summary>
    internal static void Check(SchedulingProgram program)
    {
        if (Failure(program, out var known) is not { } failure)
        {
            Interlocked.Increment(ref _compared);
            if (known)
            {
                Interlocked.Increment(ref _knownDifference);
            }

            return;
        }

        var smallest = Minimize(program, failure);
        throw new Xunit.Sdk.XunitException(
            $"{Failure(smallest)!.Message}\n\nsmallest program that fails the same way:\n{smallest}");
    }

    /// <summary>What kind of failure, so minimising keeps to the same one.</summary>
    private static string KindOf(Exception failure) => failure.Message.Split(':', 2)[0];

    /// <summary>Runs <paramref name="program"/> both ways; returns the failure, or null when the library behaves as Stackless.</summary>
    private static Exception? Failure(SchedulingProgram program) => Failure(program, out _);

    /// <param name="program">The program.</param>
    /// <param name="known">Whether the model took a stated difference (then it followed the library's stated behaviour).</param>
    private static Exception? Failure(SchedulingProgram program, out bool known)
    {
        known = false;
        try
        {
            known = Verify(program);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>Checks <paramref name="program"/>; returns whether it took a stated difference.</summary>
    private static bool Verify(SchedulingProgram program)
    {
        var expected = StacklessModel.Run(program);
        foreach (var state in expected.States)
        {
            var modelViolations = state.Violations().ToList();
            if (modelViolations.Count > 0)
            {
                throw new InvalidOperationException($"the model broke an invariant: {string.Join("; ", modelViolations)}\n{state}");
            }
        }

        var actual = LibraryRun.Run(program);
        var lost = Ledger.Violations(program, actual).ToList();
        if (lost.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"lost or duplicated: {string.Join("; ", lost)}\nevents: {string.Join(" | ", actual.Events)}");
        }

        if (actual.DifferenceFrom(expected) is { } difference)
        {
            throw new Xunit.Sdk.XunitException("the library differs from Stackless: " + difference);
        }

        return expected.KnownDifference is not null;
    }

    /// <summary>
    /// Greedy minimisation: drops main steps and tasklet actions one at a time, and turns pending kills/throws and
    /// preferences into their plainest form, as long as the program still fails with the same kind of failure.
    /// </summary>
    internal static SchedulingProgram Minimize(SchedulingProgram program, Exception failure)
    {
        var kind = KindOf(failure);
        bool StillFails(SchedulingProgram candidate) => Failure(candidate) is { } f && KindOf(f) == kind;

        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var candidate in Smaller(program))
            {
                if (StillFails(candidate))
                {
                    program = candidate;
                    changed = true;
                    break;
                }
            }
        }

        return program;
    }

    private static IEnumerable<SchedulingProgram> Smaller(SchedulingProgram program)
    {
        for (var k = 0; k < program.Steps.Count; k++)
        {
            yield return program with { Steps = [.. program.Steps.Take(k), .. program.Steps.Skip(k + 1)] };
        }

        for (var i = 0; i < program.Scripts.Count; i++)
        {
            for (var j = 0; j < program.Scripts[i].Count; j++)
            {
                var scripts = program.Scripts.ToList();
                scripts[i] = [.. program.Scripts[i].Take(j), .. program.Scripts[i].Skip(j + 1)];
                yield return program with { Scripts = scripts };
            }
        }

        for (var k = 0; k < program.Steps.Count; k++)
        {
            if (program.Steps[k].Pending)
            {
                yield return program with { Steps = [.. program.Steps.Select((s, i) => i == k ? s with { Pending = false } : s)] };
            }
        }
    }

    [Fact]
    public void RandomProgramsBehaveAsStackless()
    {
        var compared = Interlocked.Read(ref _compared);
        var known = Interlocked.Read(ref _knownDifference);
        ProgramGenerators.Programs.Sample(Check, iter: Iterations, threads: 1, print: p => "\n" + p);
        compared = Interlocked.Read(ref _compared) - compared;
        known = Interlocked.Read(ref _knownDifference) - known;
        output.WriteLine($"{compared} programs matched Stackless event by event; {known} of them took a difference the library states (compat-matrix.md)");
        Assert.True(compared > 0, "no program was compared");
    }
}
