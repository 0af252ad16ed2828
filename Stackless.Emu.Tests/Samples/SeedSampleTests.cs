using Stackless.Emu.Samples;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Samples;

/// <summary>Every seed program prints exactly Stackless's output.</summary>
public class SeedSampleTests
{
    private static string Capture(Action<TextWriter> sample)
    {
        var output = new StringWriter { NewLine = "\n" };
        Isolated.Run(() => sample(output));
        return output.ToString();
    }

    [Fact]
    public void Cooperative_multitasking() => Assert.Equal(
        "Receiving tasklet started\nSending tasklet started\nsend from sending_tasklet\nReceiving tasklet finished\n" +
        "Just another tasklet in the scheduler\nsending tasklet finished\n",
        Capture(CooperativeMultitasking.Run));

    [Fact]
    public void Numbers_and_letters_with_schedule() => Assert.Equal("0 A 1 B 2 C \n", Capture(NumbersAndLetters.Run));

    [Fact]
    public void First_and_second() => Assert.Equal("first always starts\nsecond received message\n", Capture(FirstAndSecond.Run));

    [Fact]
    public void Request_response() => Assert.Equal(
        string.Concat(new[] { "A", "B", "C", "D", "E" }.Select(n => $"{n} reply for request {n} received\n")),
        Capture(RequestResponse.Run));

    [Fact]
    public void Preference_minus_one_prefers_the_receiver() => Assert.Equal(
        "P0 P1 P2 P3 P4 P5 P6 P7 P8 P9 R0 R1 R2 R3 R4 R5 R6 R7 R8 R9\n", Capture(o => Preferences.Run(o, -1)));

    [Fact]
    public void Preference_one_prefers_the_sender() => Assert.Equal(
        "R0 P0 R1 P1 R2 P2 R3 P3 R4 P4 R5 P5 R6 P6 R7 P7 R8 P8 R9 P9\n", Capture(o => Preferences.Run(o, 1)));

    [Fact]
    public void Prime_sieve_prints_the_primes_up_to_the_limit() => Assert.Equal(
        "2\n3\n5\n7\n11\n13\n17\n19\n23\n29\n31\n", Capture(o => PrimeSieve.Run(o, 30)));

    [Fact]
    public void Prime_sieve_reaches_9973()
    {
        var lines = Capture(o => PrimeSieve.Run(o, 9973)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1229, lines.Length); // pi(9973) = 1229
        Assert.Equal("9973", lines[^1]);
    }

    [Fact]
    public void Deadlock_dump_shows_both_tasklets_blocked_receiving() => Assert.Equal(
        "tasklet A\ntasklet B\n(CH1, (), (-1, [A]))\n(CH2, (), (-1, [B]))\n", Capture(Deadlock.Run));
}
